import { foldName } from '../../wire/names.js';
import type { Screen, Box } from '../screen/blessed.js';
import { nickColor } from '../view/colors.js';
import type { Rect } from '../view/layout.js';
import type { Row } from '../view/lines.js';
import type { ViewState } from '../view/state.js';
import { drawable, fitCells } from '../view/text.js';
import { content, frame, place, setFocused } from './frame.js';

/** Everyone in the room, sorted, you marked; the selection is what F4 or Enter whispers to. */
export class UsersPane {
  readonly box: Box;

  constructor(screen: Screen) {
    this.box = frame(screen, ' Users ');
  }

  draw(s: ViewState, r: Rect | undefined): void {
    place(this.box, r);
    if (!r) return;
    const width = r.width - 2;
    const height = Math.max(1, r.height - 2);
    const first = Math.max(0, Math.min(s.selectedUser - height + 1, s.users.length - height));
    const rows: Row[] = s.users.slice(first, first + height).map((u, i) => {
      const me = foldName(u) === foldName(s.me);
      const selected = s.focus === 'users' && first + i === s.selectedUser;
      const text = fitCells(drawable(u) + (me ? ' (you)' : ''), width - 2);
      return [{ text: (me ? '* ' : '  ') + text + ' '.repeat(Math.max(0, width - 2 - text.length)), style: selected ? { inverse: true } : { fg: nickColor(u), bold: me } }];
    });
    this.box.setLabel(` Users (${s.users.length})${s.blocked.length > 0 ? ` · ${s.blocked.length} blocked` : ''} `);
    this.box.setContent(content(rows));
    setFocused(this.box, s.focus === 'users');
  }
}
