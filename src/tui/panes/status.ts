import type { Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import type { ViewState } from '../view/state.js';
import { cells, drawable, fitCells } from '../view/text.js';
import { show, textBox, type TextBox } from './frame.js';

const STATUS_COLOR = { connected: 'green', connecting: 'yellow', reconnecting: 'yellow', refused: 'red', disconnected: 'red' } as const;

/** The bottom line: connection state and server on the left, key hints (from the key tables) on the right. */
export class StatusPane {
  readonly box: TextBox;

  constructor(screen: Screen) {
    this.box = textBox(screen, { height: 1, style: { bg: 'blue', fg: 'white' } });
  }

  /** `keyHints`: the keys in force, shortest form (`F1 Help`), as many as fit. */
  draw(s: ViewState, r: Rect, keyHints: readonly string[]): void {
    Object.assign(this.box, { top: r.top, left: r.left, width: r.width });
    const state = s.status === 'connected' ? `connected ${s.server}` : s.statusDetail;
    // The detail can carry text from elsewhere (a socket error, a signed-out reason from the server): it is
    // made drawable here like every other pane's text, or bidi and zero-width characters reached the screen.
    const left = fitCells(drawable(state), Math.max(10, Math.floor(r.width / 2)));
    let hints = '';
    for (const h of keyHints) {
      const more = hints === '' ? h : `${hints}  ${h}`;
      if (cells(left) + 4 + cells(more) > r.width) break;
      hints = more;
    }
    const gap = Math.max(1, r.width - 2 - cells(left) - cells(hints));
    show(this.box, [
      [
        { text: '●', style: { fg: STATUS_COLOR[s.status], bg: 'blue', bold: true } },
        { text: ' ' + left + ' '.repeat(gap) + hints, style: { fg: 'white', bg: 'blue' } },
      ],
    ]);
  }
}
