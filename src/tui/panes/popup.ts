import { blessed, type Screen, type Box } from '../screen/blessed.js';
import type { ViewState } from '../view/state.js';
import { helpText } from '../view/state.js';
import { drawable, fitCells } from '../view/text.js';
import { content } from './frame.js';
import { wrap, type Row } from '../view/lines.js';

/** The one popup at a time: help (F1), a name prompt (F2 rename, F4 whisper to), a multi-line paste question, a private-chat request. */
export class PopupPane {
  readonly box: Box;

  constructor(screen: Screen) {
    this.box = blessed.box({
      parent: screen as never,
      tags: true,
      wrap: false,
      border: { type: 'line' },
      style: { border: { fg: 'cyan' }, bg: 'black' },
      hidden: true,
    });
  }

  draw(s: ViewState, cols: number, rows: number): void {
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
      case 'password':
        label = p.purpose === 'login' ? ' Log in ' : ' Register ';
        const ask = p.purpose === 'login' ? `${p.name} is a registered name. Password:` : `Choose a password for ${p.name}:`;
        lines = [
          ask,
          // The server's words matter after a wrong password; a `why` that restates the question does not.
          ...(p.why && !ask.toLowerCase().startsWith(p.why.toLowerCase()) ? [p.why] : []),
          `> ${'•'.repeat([...p.text].length)}█`,
        ];
        hint = 'Enter OK · Esc cancel · nothing you type is shown';
        break;
      case 'consent':
        label = ' Private chat ';
        lines = [`${p.from} asks to chat with you directly,`, 'client to client: the server will not see those whispers.', `Allow ${p.from}?`];
        hint = 'Alt+Y/F7 allow · Alt+D/F8 deny · Esc later';
        break;
    }
    const width = Math.min(cols - 2, Math.max(30, ...lines.map((l) => l.length + 4), hint.length + 4));
    const inner = width - 2;
    const maxBody = Math.max(1, rows - 4 - 1);
    const scroll = p.kind === 'help' ? Math.min(p.scroll, Math.max(0, rows_(lines, inner).length - maxBody)) : 0;
    const body = rows_(lines, inner).slice(scroll, scroll + maxBody);
    const out: Row[] = body.map((r) => [{ text: fitCells(r.map((seg) => seg.text).join('') || ' ', inner) }]);
    out.push([{ text: fitCells(hint, inner), style: { dim: true } }]);
    const height = out.length + 2;
    this.box.setLabel(label);
    Object.assign(this.box, { width, height, left: Math.floor((cols - width) / 2), top: Math.max(0, Math.floor((rows - 2 - height) / 2)) });
    this.box.setContent(content(out));
    this.box.show();
    this.box.setFront();
  }
}

/**
 * Popup text wrapped to the box: a help line continues under its description column (the text after the
 * first run of two or more spaces), so a long summary is read whole instead of cut off.
 */
function rows_(lines: string[], width: number): Row[] {
  return lines.flatMap((l) => {
    const text = drawable(l);
    const column = /^(\s*\S.*?\s{2,})\S/.exec(text)?.[1]?.length ?? 0;
    return text === '' ? [[{ text: '' }]] : wrap([{ text }], width, column);
  });
}
