// Where each pane goes for a terminal size: pure arithmetic, so reflow on resize is tested without one.

export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface Layout {
  /** The room list across the top: only in more than one room (issue 13). */
  bar?: Rect;
  room: Rect;
  /** Absent when the terminal is too narrow and the users pane is not focused. */
  users?: Rect;
  whispers: Rect;
  input: Rect;
  status: Rect;
}

/** Below this many columns the users pane only shows while it has focus (F3), over the room's right side. */
export const USERS_PANE_MIN_COLS = 60;
export const USERS_PANE_WIDTH = 20;

/** `roomBar`: a row at the top for the room list, which pushes every pane one row down. */
export function layout(cols: number, rows: number, usersFocused: boolean, roomBar = false): Layout {
  const top = roomBar ? 1 : 0;
  const out = panes(cols, rows - top, usersFocused);
  if (!roomBar) return out;
  for (const r of [out.room, out.users, out.whispers, out.input, out.status]) if (r) r.top += top;
  return { bar: { top: 0, left: 0, width: cols, height: 1 }, ...out };
}

function panes(cols: number, rows: number, usersFocused: boolean): Layout {
  const bottom = 2; // input line and status bar
  const main = Math.max(2, rows - bottom);
  const wide = cols >= USERS_PANE_MIN_COLS;
  const usersWidth = Math.min(USERS_PANE_WIDTH, Math.max(12, Math.floor(cols / 3)));
  const leftWidth = wide ? cols - usersWidth : cols;
  const whispersHeight = Math.max(3, Math.min(10, Math.round(main * 0.3)));
  const roomHeight = Math.max(3, main - whispersHeight);
  const out: Layout = {
    room: { top: 0, left: 0, width: leftWidth, height: roomHeight },
    whispers: { top: roomHeight, left: 0, width: leftWidth, height: main - roomHeight },
    input: { top: main, left: 0, width: cols, height: 1 },
    status: { top: main + 1, left: 0, width: cols, height: 1 },
  };
  if (wide) out.users = { top: 0, left: leftWidth, width: cols - leftWidth, height: main };
  else if (usersFocused) {
    const overlay = Math.min(USERS_PANE_WIDTH, Math.max(16, Math.floor(cols * 0.4)));
    out.users = { top: 0, left: cols - overlay, width: overlay, height: roomHeight };
  }
  return out;
}
