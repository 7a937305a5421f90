import type { Layout, Rect } from './layout.js';
import type { UiAction, ViewState } from './state.js';
import { roomAt } from './roombar.js';

// What a mouse event means, by where it lands in the layout: the wheel scrolls the pane under the pointer
// (not the focused one, as in every graphical program), a click on a name in the users pane starts a
// whisper to them, a click on a room in the room list shows it, a click elsewhere in a pane focuses it. Pure: the shell passes blessed's mouse events.

/** Rows one wheel notch scrolls, as xterm and most terminals scroll their own scrollback. */
export const WHEEL_ROWS = 3;

/** A mouse event as blessed reports it: 0-based cell coordinates. */
export interface MouseInput {
  action: string;
  x: number;
  y: number;
}

function inside(r: Rect | undefined, x: number, y: number): r is Rect {
  return r !== undefined && x >= r.left && x < r.left + r.width && y >= r.top && y < r.top + r.height;
}

/** The first user the users pane shows for a pane of `height` inner rows: the selection stays in view. */
export function firstVisibleUser(s: Pick<ViewState, 'selectedUser' | 'users'>, height: number): number {
  return Math.max(0, Math.min(s.selectedUser - height + 1, s.users.length - height));
}

/** The UI action for a mouse event, or undefined when it means nothing there. */
export function mouseAction(s: ViewState, l: Layout, m: MouseInput): UiAction | undefined {
  const wheel = m.action === 'wheelup' ? -1 : m.action === 'wheeldown' ? 1 : 0;
  // A click on a room in the room list shows it, as /window #room does.
  if (inside(l.bar, m.x, m.y)) {
    const room = m.action === 'mousedown' ? roomAt(s, l.bar.width, m.x - l.bar.left) : undefined;
    return room === undefined ? undefined : { type: 'run', line: `/window ${room}` };
  }
  // The users pane is drawn over the room when the terminal is narrow, so it is asked first.
  const pane = inside(l.users, m.x, m.y) ? 'users' : inside(l.room, m.x, m.y) ? 'room' : inside(l.whispers, m.x, m.y) ? 'whispers' : inside(l.input, m.x, m.y) ? 'input' : undefined;
  if (pane === undefined) return undefined;
  if (wheel !== 0) {
    if (pane === 'input') return undefined;
    return { type: 'scroll', pane, by: wheel * WHEEL_ROWS };
  }
  if (m.action !== 'mousedown') return undefined;
  if (pane === 'users') {
    const r = l.users!;
    const row = m.y - r.top - 1; // inside the border
    const height = Math.max(1, r.height - 2);
    if (row < 0 || row >= height) return { type: 'focus', pane };
    const name = s.users[firstVisibleUser(s, height) + row];
    return name === undefined ? { type: 'focus', pane } : { type: 'whisper-to', name };
  }
  return { type: 'focus', pane };
}
