import type { Screen } from '../screen/blessed.js';
import type { ViewState } from '../view/state.js';
import { helpText } from '../view/state.js';
import { cells, drawable, fitCells } from '../view/text.js';
import { show, textBox, type TextBox } from './frame.js';
import { wrap, type Row } from '../view/lines.js';
import { trustQuestionLines } from '../screen/asktrust.js';

/** The one popup at a time: help (F1), a name prompt (F2 rename, F4 whisper to), a multi-line paste question, a private-chat request. */
export class PopupPane {
  readonly box: TextBox;

  constructor(screen: Screen) {
    this.box = textBox(screen, {
      border: { type: 'line' },
      style: { border: { fg: 'cyan' }, bg: 'black' },
      hidden: true,
    });
    // A blank margin of one cell all round: the pane borders under the popup end in blank cells instead of
    // running into the popup's own border (which drew `┌┌─ Help` and `└└──┘┘`).
    const render = this.box.render.bind(this.box);
    this.box.render = () => {
      const coords = render() as { xi: number; xl: number; yi: number; yl: number } | undefined;
      if (coords) clearRing(screen, coords);
      return coords as never;
    };
  }

  /** `below`: rows at the top the popup leaves alone (the room list, while there is one). */
  draw(s: ViewState, cols: number, rows: number, below = 0): void {
    const p = s.popup;
    if (!p) {
      this.box.hide();
      return;
    }
    let label: string;
    let lines: string[];
    let hint: string;
    switch (p.kind) {
      case 'help':
        label = ' Help ';
        lines = helpText();
        hint = 'Esc closes · Up/Down scroll';
        break;
      case 'prompt':
        label = p.purpose === 'rename' ? ' Rename ' : ' Whisper ';
        lines = [p.purpose === 'rename' ? `Your name is ${s.me}. New name:` : 'Whisper to (Tab completes):', `> ${p.text}█`];
        hint = 'Enter OK · Esc cancel';
        break;
      case 'paste':
        label = ' Paste ';
        lines = [`Send these ${p.lines.length} lines to the room?`, ...p.lines.slice(0, 3).map((l) => '  ' + l), ...(p.lines.length > 3 ? [`  … and ${p.lines.length - 3} more`] : [])];
        hint = 'Enter/y send all · Esc/n edit as one line';
        break;
      case 'password': {
        label = { login: ' Log in ', register: ' Register ', current: ' Your password ', new: ' New password ' }[p.purpose];
        const ask =
          p.purpose === 'login'
            ? `${p.name} is a registered name. Password:`
            : p.purpose === 'current'
              ? `The current password of ${p.name}:`
              : p.confirm
                ? `Type the ${p.purpose === 'new' ? 'new ' : ''}password for ${p.name} again:`
                : `Choose a ${p.purpose === 'new' ? 'new ' : ''}password for ${p.name}:`;
        lines = [
          ask,
          // The server's words matter after a wrong password; a `why` that restates the question does not.
          ...(p.why && !p.confirm && !ask.toLowerCase().startsWith(p.why.toLowerCase()) ? [p.why] : []),
          `> ${'•'.repeat([...p.text].length)}█`,
        ];
        hint = 'Enter OK · Esc cancel · nothing you type is shown';
        break;
      }
      case 'trust':
        label = p.refused !== undefined ? ' Server refused ' : ' New server ';
        lines = p.refused !== undefined ? [p.refused] : [...trustQuestionLines(p), 'Trust it and remember it?'];
        hint = p.refused !== undefined ? 'Esc closes' : 'Alt+Y trust · Esc do not trust';
        break;
      case 'consent':
        label = ' Private chat ';
        lines = [
          `${p.from} asks to chat with you directly,`,
          'client to client: the server will not see those whispers.',
          ...(p.host === undefined
            ? ['The server did not say where they are: a direct link cannot be made.']
            : p.refused !== undefined
              ? [`The server says they are at ${p.host}, but your client`, `will not connect there: ${p.refused}.`]
              : [`Allowing connects your client to ${p.host}`, `(${p.from}'s address as the server sees it).`]),
          `Allow ${p.from}?`,
        ];
        hint = 'Alt+Y/F7 allow · Alt+D/F8 deny · Esc later';
        break;
    }
    // Inside the screen with room for the blank margin: two columns each side, a row above and below.
    const width = Math.max(8, Math.min(cols - 4, Math.max(30, ...lines.map((l) => cells(l) + 4), cells(hint) + 4)));
    const inner = width - 2;
    // Rows 1 .. rows-4, so the margin below it never covers the input line or the status bar.
    const maxHeight = Math.max(3, rows - below - 4);
    const maxBody = Math.max(1, maxHeight - 3);
    const scroll = p.kind === 'help' ? Math.min(p.scroll, Math.max(0, rows_(lines, inner).length - maxBody)) : 0;
    const body = rows_(lines, inner).slice(scroll, scroll + maxBody);
    const out: Row[] = body.map((r) => [{ text: fitCells(r.map((seg) => seg.text).join('') || ' ', inner) }]);
    out.push([{ text: fitCells(hint, inner), style: { dim: true } }]);
    const height = Math.min(out.length + 2, maxHeight);
    this.box.setLabel(label);
    Object.assign(this.box, { width, height, left: Math.floor((cols - width) / 2), top: below + Math.max(1, Math.floor((rows - below - 2 - height) / 2)) });
    show(this.box, out);
    this.box.show();
    this.box.setFront();
  }
}

/** Blank the cells just outside a box (as far as the screen goes). */
function clearRing(screen: Screen, c: { xi: number; xl: number; yi: number; yl: number }): void {
  const s = screen as unknown as { lines: ([number, string][] & { dirty?: boolean })[]; dattr: number };
  const blank = (x: number, y: number) => {
    const line = s.lines[y];
    if (!line || x < 0 || x >= line.length) return;
    line[x] = [s.dattr, ' '];
    line.dirty = true;
  };
  for (let x = c.xi - 1; x <= c.xl; x++) {
    blank(x, c.yi - 1);
    blank(x, c.yl);
  }
  for (let y = c.yi; y < c.yl; y++) {
    blank(c.xi - 1, y);
    blank(c.xl, y);
  }
}

/**
 * Popup text wrapped to the box: a help line continues under its description column (the text after the
 * first run of two or more spaces), so a long summary is read whole instead of cut off.
 */
function rows_(lines: string[], width: number): Row[] {
  return lines.flatMap((l) => {
    const text = drawable(l);
    // A summary on a line of its own (under a long usage) continues where it starts.
    const column = /^(\s*\S.*?\s{2,})\S/.exec(text)?.[1]?.length ?? /^ */.exec(text)![0].length;
    return text === '' ? [[{ text: '' }]] : wrap([{ text }], width, column);
  });
}
