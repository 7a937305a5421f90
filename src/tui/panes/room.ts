import type { Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import { roomSegments, visibleRows, type Row } from '../view/lines.js';
import type { ViewState } from '../view/state.js';
import { frame, place, setFocused, show, type TextBox } from './frame.js';

/** The conversation. While scrolled up its last row says how many lines arrived below. */
export class RoomPane {
  readonly box: TextBox;

  constructor(screen: Screen) {
    this.box = frame(screen, ' Room ');
  }

  /** Rows of text the pane shows at this size (for paging). */
  static innerRows(r: Rect): number {
    return Math.max(1, r.height - 2);
  }

  draw(s: ViewState, r: Rect): void {
    place(this.box, r);
    const width = r.width - 2;
    const height = RoomPane.innerRows(r);
    const scrolled = s.roomScroll > 0;
    const rows: Row[] = visibleRows(s.room, s.roomScroll, width, scrolled ? height - 1 : height, roomSegments);
    if (scrolled) {
      const note = s.unseen > 0 ? ` ▼ ${s.unseen} new — PgDn ` : ' ▼ more below — PgDn ';
      rows.push([{ text: note, style: { fg: 'black', bg: 'yellow' } }]);
    }
    this.box.setLabel(s.unseen > 0 ? ` Room · ${s.unseen} new ` : ' Room ');
    show(this.box, rows);
    setFocused(this.box, s.focus === 'room');
  }
}
