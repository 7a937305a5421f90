import { sanitizeText } from '../../wire/sanitize.js';

// Text as the full-screen client draws it. Everything received is sanitised again here (the server may not
// be ours), then reduced to characters whose width blessed and real terminals agree on, so no message can
// push a pane border out of line. blessed's `{tag}` markup is escaped by the panes, not here.

/** East Asian Wide / Fullwidth ranges (CJK, Hangul, kana, fullwidth forms), as terminals measure them. */
const WIDE = /[\u1100-\u115f\u2329\u232a\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{16fe0}-\u{18aff}\u{1b000}-\u{1b2ff}\u{20000}-\u{3fffd}]/u;
const EMOJI = /\p{Emoji_Presentation}/u;
/** Marks a terminal folds into the previous cell but blessed gives a cell of their own. */
const NONSPACING = /[\p{Mn}\p{Me}]/gu;
/** Variation selectors and skin-tone modifiers: terminals disagree on their width, so we drop them. */
const VARIATION = /[\ufe00-\ufe0f\u{1f3fb}-\u{1f3ff}\u{e0100}-\u{e01ef}]/gu;
const REGIONAL = /[\u{1f1e6}-\u{1f1ff}]/gu;

/** Cells one code point takes on screen: 2 for CJK and emoji, 1 otherwise (marks are removed by drawable). */
export function charCells(ch: string): number {
  return WIDE.test(ch) || EMOJI.test(ch) ? 2 : 1;
}

/** Is this a BMP emoji that blessed's own table measures as one cell? The blessed adapter fixes those. */
export function isNarrowInBlessed(ch: string): boolean {
  return ch.length === 1 && EMOJI.test(ch) && !WIDE.test(ch);
}

export function cells(text: string): number {
  let n = 0;
  for (const ch of text) n += charCells(ch);
  return n;
}

/**
 * Remote or typed text made safe to draw: sanitised (escapes, C0/C1, bidi, zero-width), then every
 * character is one blessed and the terminal agree on: flags become their two letters, variation selectors,
 * skin tones and leftover combining marks go, and astral characters that terminals draw one cell wide
 * (blessed gives every surrogate pair two) become U+FFFD.
 */
export function drawable(text: string): string {
  // sanitizeText trims; spaces are harmless and the panes' own padding and indentation need them.
  const lead = /^ */.exec(text)![0];
  if (lead.length === text.length) return text;
  const trail = / *$/.exec(text)![0];
  return lead + cellSafe(sanitizeText(text)) + trail;
}

function cellSafe(clean: string): string {
  clean = clean
    .replace(REGIONAL, (ch) => String.fromCharCode(ch.codePointAt(0)! - 0x1f1e6 + 65))
    .replace(VARIATION, '')
    .replace(NONSPACING, '');
  let out = '';
  for (const ch of clean) out += ch.length === 2 && charCells(ch) !== 2 ? '\ufffd' : ch;
  return out;
}

/** The longest prefix of `text` that fits in `width` cells, and the rest. */
export function splitAtCells(text: string, width: number): [string, string] {
  let used = 0;
  let i = 0;
  for (const ch of text) {
    const w = charCells(ch);
    if (used + w > width) break;
    used += w;
    i += ch.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** `text` cut to `width` cells, with an ellipsis when cut. */
export function fitCells(text: string, width: number): string {
  if (width <= 0) return '';
  if (cells(text) <= width) return text;
  return splitAtCells(text, width - 1)[0] + '…';
}
