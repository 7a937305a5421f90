import type { Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import { maxScroll, roomSegments, RowCache, visibleRows, wrap, type Row } from '../view/lines.js';
import { markSpans } from '../view/marks.js';
import { searchStatus } from '../view/search.js';
import type { RoomLine, ViewState } from '../view/state.js';
import { frame, place, setFocused, show, type TextBox } from './frame.js';
import { hasRoomBar } from '../view/roombar.js';
import { drawable, fitCells } from '../view/text.js';

/** The conversation. While scrolled up its last row says how many lines arrived below. */
export class RoomPane {
  readonly box: TextBox;
  /** Each line's rows, wrapped once: a busy room redraws every frame and only its newest lines are new. */
  private readonly rows = new RowCache<RoomLine>();

  constructor(screen: Screen) {
    this.box = frame(screen, ' Room ');
  }

  /** Rows of text the pane shows at this size (for paging). */
  static innerRows(r: Rect): number {
    return Math.max(1, r.height - 2);
  }

  /** The most the room can scroll up at this size: the first line on the top row, under it the rest. */
  scrollLimit(s: ViewState, r: Rect): number {
    // Scrolled, the last row is the "more below" note: the lines fill the rows above it.
    return maxScroll(s.room, RoomPane.innerRows(r) - 1, (l) => this.rows.count(l, r.width - 2, s.look, (x) => roomSegments(x, s.look)));
  }

  /** A line's rows at `width`: from the cache, or (a line with /search matches marked) wrapped afresh. */
  private rowsOf(s: ViewState, width: number): (l: RoomLine) => Row[] {
    const marked = searchMarks(s);
    return (l) => {
      const own = marked?.(l);
      if (own) return wrap(own.segments, width, own.indent);
      return this.rows.get(l, width, s.look, (x) => roomSegments(x, s.look));
    };
  }

  draw(s: ViewState, r: Rect): void {
    this.rows.nextFrame();
    place(this.box, r);
    const width = r.width - 2;
    const height = RoomPane.innerRows(r);
    const scrolled = s.roomScroll > 0;
    const rows: Row[] = visibleRows(s.room, s.roomScroll, scrolled ? height - 1 : height, this.rowsOf(s, width));
    if (scrolled) {
      const note = s.unseen > 0 ? ` ▼ ${s.unseen} new — PgDn ` : ' ▼ more below — PgDn ';
      rows.push([{ text: note, style: { fg: 'black', bg: 'yellow' } }]);
    }
    const notes = [s.unseen > 0 && `${s.unseen} new`, s.highlights > 0 && `${s.highlights} highlight${s.highlights === 1 ? '' : 's'}`, s.search && `${searchStatus(s.search)} — Esc ends`].filter(Boolean);
    const [name, topic] = roomTitle(s);
    // The counts come before the topic: a long topic is what gets cut.
    this.box.setLabel(` ${fitCells(`${[name, ...notes].join(' · ')}${topic ? ` — ${topic}` : ''}`, Math.max(0, width - 4))} `);
    show(this.box, rows);
    setFocused(this.box, s.focus === 'room');
  }
}

/**
 * `Room`, or in several rooms the name of the one on screen and its topic; a locked topic is marked `(+t)`
 * after the name, as irssi shows a channel's modes.
 */
function roomTitle(s: ViewState): [string, string | undefined] {
  if (!hasRoomBar(s) || s.shown === undefined) return ['Room', undefined];
  const w = s.windows.find((x) => x.name.toLowerCase() === s.shown!.toLowerCase());
  return [drawable(s.shown) + (w?.locked ? TOPIC_LOCKED : ''), w?.topic ? drawable(w.topic) : undefined];
}

/** The mark of a room whose topic only operators may change (IRC's channel mode +t). */
export const TOPIC_LOCKED = '(+t)';

/**
 * Room lines with /search matches marked (the current match inverse, the others underlined in yellow): the
 * segments of a line that has matches, undefined for the rest (and for every line when nothing is searched).
 */
function searchMarks(s: ViewState): ((l: RoomLine) => ReturnType<typeof roomSegments> | undefined) | undefined {
  const search = s.search;
  if (!search || search.matches.length === 0) return undefined;
  const byLine = new Map<RoomLine, { start: number; end: number; current: boolean }[]>();
  search.matches.forEach((m, i) => {
    const line = s.room[m.line];
    if (!line) return;
    const list = byLine.get(line) ?? [];
    list.push({ start: m.start, end: m.end, current: i === search.current });
    byLine.set(line, list);
  });
  return (l) => {
    const spans = byLine.get(l);
    if (!spans) return undefined;
    const base = roomSegments(l, s.look);
    let segments = markSpans(base.segments, spans.filter((x) => !x.current), { fg: 'black', bg: 'yellow' });
    segments = markSpans(segments, spans.filter((x) => x.current), { fg: 'black', bg: 'white', bold: true });
    return { ...base, segments };
  };
}
