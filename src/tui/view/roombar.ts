import type { Row, Segment } from './lines.js';
import type { RoomWindow, ViewState } from './state.js';
import { cells, drawable, fitCells } from './text.js';

// The room list of the full screen (issue 13, item 6): a bar across the top, shown while you are in more than
// one room. Each room is `N:#name`, numbered as Alt+N reaches it, followed by its unread count and `!M` for
// highlights (your name or a highlight word, issue 17 item 4). The room on screen is drawn inverse. When the
// rooms do not fit, the bar keeps the one on screen in view and marks the cut-off ends with ‹ and ›. Pure:
// the pane draws these tabs and a mouse click is matched against the same cells.

/** Cells one room name may take in the bar before it is cut with `…`. */
export const ROOM_TAB_NAME_CELLS = 20;

export interface RoomTab {
  room: string;
  /** First cell and one past the last, in the bar's columns. */
  start: number;
  end: number;
  segments: Segment[];
}

/** The bar is shown only in more than one room: with one, the screen is as it always was. */
export function hasRoomBar(s: Pick<ViewState, 'windows'>): boolean {
  return s.windows.length > 1;
}

function tabSegments(w: RoomWindow, n: number, shown: boolean): Segment[] {
  const name = fitCells(drawable(w.name), ROOM_TAB_NAME_CELLS);
  if (shown) return [{ text: ` ${n}:${name} `, style: { inverse: true, bold: true } }];
  const out: Segment[] = [{ text: ` ${n}:`, style: { dim: true } }, { text: name, style: w.mentions > 0 ? { fg: 'magenta', bold: true } : w.unread > 0 ? { bold: true } : {} }];
  if (w.unread > 0) out.push({ text: ` ${w.unread}`, style: { fg: 'yellow', bold: true } });
  if (w.mentions > 0) out.push({ text: ` !${w.mentions}`, style: { fg: 'magenta', bold: true } });
  out.push({ text: ' ' });
  return out;
}

const width = (segments: Segment[]) => segments.reduce((n, g) => n + cells(g.text), 0);

/** The tabs that fit in `cols` cells, the room on screen always among them, placed left to right. */
export function roomTabs(s: Pick<ViewState, 'windows' | 'shown'>, cols: number): { tabs: RoomTab[]; before: boolean; after: boolean } {
  const all = s.windows.map((w, i) => tabSegments(w, i + 1, s.shown !== undefined && w.name.toLowerCase() === s.shown.toLowerCase()));
  const current = Math.max(0, s.windows.findIndex((w) => s.shown !== undefined && w.name.toLowerCase() === s.shown.toLowerCase()));
  // One cell each end for the ‹ › marks, whether or not they are needed: tabs do not jump when they appear.
  const room = Math.max(0, cols - 2);
  let first = 0;
  while (first < current && all.slice(first, current + 1).reduce((n, t) => n + width(t), 0) > room) first++;
  const tabs: RoomTab[] = [];
  let x = 1;
  let i = first;
  for (; i < all.length; i++) {
    const w = width(all[i]!);
    if (x + w > room + 1 && i !== first) break;
    tabs.push({ room: s.windows[i]!.name, start: x, end: x + w, segments: all[i]! });
    x += w;
  }
  return { tabs, before: first > 0, after: i < all.length };
}

/** The bar as one row of `cols` cells. */
export function roomBarRow(s: Pick<ViewState, 'windows' | 'shown'>, cols: number): Row {
  const { tabs, before, after } = roomTabs(s, cols);
  const row: Segment[] = [{ text: before ? '‹' : ' ', style: { dim: true } }];
  for (const t of tabs) row.push(...t.segments);
  const used = 1 + tabs.reduce((n, t) => n + width(t.segments), 0);
  const fill = Math.max(0, cols - used - 1);
  row.push({ text: ' '.repeat(fill) }, { text: after ? '›' : ' ', style: { dim: true } });
  return row;
}

/** The room whose tab covers column `x` of the bar, if any. */
export function roomAt(s: Pick<ViewState, 'windows' | 'shown'>, cols: number, x: number): string | undefined {
  return roomTabs(s, cols).tabs.find((t) => x >= t.start && x < t.end)?.room;
}
