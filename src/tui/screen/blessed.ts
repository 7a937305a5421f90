import { createRequire } from 'node:module';
import type * as Blessed from 'blessed';
import { isNarrowInBlessed } from '../view/text.js';

// The one place parley touches the terminal library. We use reblessed 0.2.1, an API-compatible blessed
// fork (README "Terminal library"); it ships no usable types, so it is cast to @types/blessed here, with
// the few corrections those types need, and nowhere else.

const require = createRequire(import.meta.url);

interface Unicode {
  charWidth(str: string | number, i?: number): number;
  chars: { all: RegExp };
}

/** @types/blessed declares screenshot() as void; it returns the screen as text with SGR colours. */
export type Screen = Omit<Blessed.Widgets.Screen, 'screenshot'> & {
  screenshot(): string;
  program: Blessed.BlessedProgram & { bell(): void; output: NodeJS.WritableStream; tput: { brokenACS: boolean } };
};

interface Library {
  // @types/blessed has input and output the wrong way round.
  screen(options: Omit<Blessed.Widgets.IScreenOptions, 'input' | 'output'> & { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; fullUnicode?: boolean; forceUnicode?: boolean }): Screen;
  box(options: Blessed.Widgets.BoxOptions): Blessed.Widgets.BoxElement;
  escape(text: string): string;
  unicode: Unicode;
}

// A require() of an untyped CommonJS module: this cast is the adapter's whole point.
export const blessed = require('reblessed') as Library;
export type Box = Blessed.Widgets.BoxElement;

// reblessed measures BMP emoji (✅ ☕ ⚡) as one cell while terminals draw two, which shifts every border to
// their right. Teach its width function and its "insert a spacer after wide characters" pattern about them.
const unicode = blessed.unicode;
const charWidth = unicode.charWidth.bind(unicode);
unicode.charWidth = (str, i) => {
  const point = typeof str === 'number' ? str : (str.codePointAt(i ?? 0) ?? 0);
  return isNarrowInBlessed(String.fromCodePoint(point)) ? 2 : charWidth(str, i);
};
unicode.chars.all = new RegExp(`(${unicode.chars.all.source.slice(1, -1)}|[${bmpEmojiClass()}])`, 'g');

/** The BMP emoji blessed thinks narrow, as a character class (blessed's pattern works on UTF-16 units). */
function bmpEmojiClass(): string {
  let out = '';
  const hex = (n: number) => '\\u' + n.toString(16).padStart(4, '0');
  for (let cp = 0; cp < 0xd800; cp++) {
    if (!isNarrowInBlessed(String.fromCharCode(cp))) continue;
    let end = cp;
    while (end + 1 < 0xd800 && isNarrowInBlessed(String.fromCharCode(end + 1))) end++;
    out += end === cp ? hex(cp) : `${hex(cp)}-${hex(end)}`;
    cp = end;
  }
  return out;
}
