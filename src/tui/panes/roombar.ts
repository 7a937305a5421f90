import type { Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import { roomBarRow } from '../view/roombar.js';
import type { ViewState } from '../view/state.js';
import { show, textBox, type TextBox } from './frame.js';

/** The room list: one row across the top while you are in more than one room (view/roombar.ts says what it shows). */
export class RoomBarPane {
  readonly box: TextBox;

  constructor(screen: Screen) {
    this.box = textBox(screen, { height: 1, hidden: true });
  }

  draw(s: ViewState, r: Rect | undefined): void {
    if (!r) {
      this.box.hide();
      return;
    }
    Object.assign(this.box, { top: r.top, left: r.left, width: r.width });
    this.box.show();
    show(this.box, [roomBarRow(s, r.width)]);
  }
}
