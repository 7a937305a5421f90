import type { Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import { RowCache, visibleRows, whisperSegments } from '../view/lines.js';
import type { ViewState, WhisperLine } from '../view/state.js';
import { frame, place, setFocused, show, type TextBox } from './frame.js';

/** Private messages in and out, each tagged with the other person; the title counts unread ones. */
export class WhispersPane {
  readonly box: TextBox;
  private readonly rows = new RowCache<WhisperLine>();

  constructor(screen: Screen) {
    this.box = frame(screen, ' Whispers ');
  }

  draw(s: ViewState, r: Rect): void {
    this.rows.nextFrame();
    place(this.box, r);
    const rows = visibleRows(s.whispers, s.whisperScroll, Math.max(1, r.height - 2), (w) => this.rows.get(w, r.width - 2, s.look, (x) => whisperSegments(x, s.look)));
    if (s.whispers.length === 0) rows.push([{ text: 'F4 or /w NAME text to whisper', style: { dim: true } }]);
    this.box.setLabel(s.unreadWhispers > 0 ? ` Whispers (${s.unreadWhispers} unread) ` : ' Whispers ');
    show(this.box, rows);
    setFocused(this.box, s.focus === 'whispers', s.unreadWhispers > 0);
  }
}
