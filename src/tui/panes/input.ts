import type { Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import { messageLength, type ViewState } from '../view/state.js';
import { MAX_TEXT_CHARS } from '../../wire/limits.js';
import { cells, drawable, graphemes, splitAtCells } from '../view/text.js';
import { show, textBox, type TextBox } from './frame.js';

/** The input line: `alice> text` with the cursor as an inverse cell, scrolled sideways to keep it in view. */
export class InputPane {
  readonly box: TextBox;

  constructor(screen: Screen) {
    this.box = textBox(screen, { height: 1 });
  }

  draw(s: ViewState, r: Rect): void {
    Object.assign(this.box, { top: r.top, left: r.left, width: r.width });
    const prompt = `${drawable(s.me)}> `;
    // Over the limit of one message: the count, on the right, until it is short enough to send.
    const length = messageLength(s.input);
    const over = length > MAX_TEXT_CHARS ? ` ${length}/${MAX_TEXT_CHARS} ` : '';
    const room = Math.max(1, r.width - cells(prompt) - over.length);
    // What you type is shown as it will be drawn for everyone else.
    const before = drawable(s.input.slice(0, s.cursor));
    const [at, after] = splitFirst(drawable(s.input.slice(s.cursor)));
    const cursor = at === '' ? ' ' : at;
    const beforeRoom = Math.max(0, room - cells(cursor) - Math.min(cells(after), Math.floor(room / 3)));
    const shownBefore = tailCells(before, beforeRoom);
    const shownAfter = splitAtCells(after, room - cells(shownBefore) - cells(cursor))[0];
    const active = s.focus === 'input' && !s.popup;
    show(this.box, [
      [
        { text: prompt, style: active ? { fg: 'cyan', bold: true } : { dim: true } },
        { text: shownBefore },
        { text: cursor, style: active ? { inverse: true } : {} },
        { text: shownAfter },
        ...(over ? [{ text: ' '.repeat(Math.max(0, room - cells(shownBefore) - cells(cursor) - cells(shownAfter))) }, { text: over, style: { fg: 'white', bg: 'red', bold: true } }] : []),
      ],
    ]);
  }
}

function splitFirst(text: string): [string, string] {
  const first = graphemes(text)[0] ?? '';
  return [first, text.slice(first.length)];
}

/** The longest tail of `text` that fits in `width` cells (whole clusters). */
function tailCells(text: string, width: number): string {
  const clusters = graphemes(text);
  let used = 0;
  let i = clusters.length;
  while (i > 0 && used + cells(clusters[i - 1]!) <= width) used += cells(clusters[--i]!);
  return clusters.slice(i).join('');
}
