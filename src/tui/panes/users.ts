import { foldName } from '../../wire/names.js';
import type { Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import type { Row } from '../view/lines.js';
import type { ViewState } from '../view/state.js';
import { firstVisibleUser } from '../view/mouse.js';
import { cells, drawable, fitCells } from '../view/text.js';
import { frame, place, setFocused, show, type TextBox } from './frame.js';

/** Everyone in the room, sorted, you marked, the away dimmed; the selection is what F4 or Enter whispers to. */
export class UsersPane {
  readonly box: TextBox;

  constructor(screen: Screen) {
    this.box = frame(screen, ' Users ');
  }

  draw(s: ViewState, r: Rect | undefined): void {
    place(this.box, r);
    if (!r) return;
    const width = r.width - 2;
    const height = Math.max(1, r.height - 2);
    const first = firstVisibleUser(s, height);
    // The server hides names we block from the list; say how many, on a dim last row, so it adds up.
    const note = s.blocked.length > 0 ? `(${s.blocked.length} blocked)` : '';
    const listed = note && s.users.length >= height ? height - 1 : height;
    const rows: Row[] = s.users.slice(first, first + listed).map((u, i) => {
      const me = foldName(u) === foldName(s.me);
      // Away (issue 17): dimmed, and said in words where the width allows, for terminals without dim.
      const away = s.away.includes(foldName(u));
      const selected = s.focus === 'users' && first + i === s.selectedUser;
      const text = fitCells(drawable(u) + (me ? ' (you)' : '') + (away ? ' (away)' : ''), width - 2);
      return [{ text: (me ? '* ' : away ? 'z ' : '  ') + text + ' '.repeat(Math.max(0, width - 2 - cells(text))), style: selected ? { inverse: true } : { nick: u, bold: me, dim: away } }];
    });
    if (note) rows.push([{ text: fitCells(note, width), style: { dim: true } }]);
    // A label wider than the box wraps into its content in blessed: keep it inside the border.
    this.box.setLabel(fitCells(` Users (${s.users.length}) `, Math.max(0, width - 2)));
    show(this.box, rows);
    setFocused(this.box, s.focus === 'users');
  }
}
