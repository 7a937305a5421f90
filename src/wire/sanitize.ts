// What another person typed must never drive a terminal. This runs on the server for everything it relays
// and again in the client before anything is drawn (a client may talk to a server that is not ours).
// Rules: PROTOCOL.md §12 "Text".

import { MAX_ESCAPE_CHARS, MAX_JOINER_RUN, MAX_TEXT_CHARS } from './limits.js';

const ESC = 0x1b;
/** 8-bit CSI, and the 8-bit introducers of the string sequences: DCS, SOS, OSC, PM, APC. */
const C1_CSI = 0x9b;
const C1_STRINGS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
/** What follows ESC to open a string sequence: OSC `]`, DCS `P`, SOS `X`, PM `^`, APC `_`. */
const ESC_STRINGS = new Set([0x5d, 0x50, 0x58, 0x5e, 0x5f]);
const BEL = 0x07;
const ST = 0x9c;

/**
 * Where the escape sequence starting at `i` ends (exclusive), or -1 when there is none: a CSI with its
 * final character, or a string sequence with its terminator, within MAX_ESCAPE_CHARS code points
 * (ECMA-48 §5.4 and §5.6). Anything else — a lone ESC, ESC and an ordinary letter, a sequence cut short
 * or too long — is not a sequence, so nothing after the introducer is taken from the user's text.
 */
function sequenceEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  const next = s.charCodeAt(i + 1);
  let j: number;
  let kind: 'csi' | 'string';
  if (c === C1_CSI) [j, kind] = [i + 1, 'csi'];
  else if (C1_STRINGS.has(c)) [j, kind] = [i + 1, 'string'];
  else if (c === ESC && next === 0x5b) [j, kind] = [i + 2, 'csi'];
  else if (c === ESC && ESC_STRINGS.has(next)) [j, kind] = [i + 2, 'string'];
  else return -1;
  let chars = j - i;
  if (kind === 'csi') {
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x3f && chars < MAX_ESCAPE_CHARS) [j, chars] = [j + 1, chars + 1];
    while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f && chars < MAX_ESCAPE_CHARS) [j, chars] = [j + 1, chars + 1];
    const f = s.charCodeAt(j);
    return f >= 0x40 && f <= 0x7e && chars < MAX_ESCAPE_CHARS ? j + 1 : -1;
  }
  while (j < s.length && chars < MAX_ESCAPE_CHARS) {
    const d = s.charCodeAt(j);
    if (d === BEL || d === ST) return j + 1;
    if (d === ESC && s.charCodeAt(j + 1) === 0x5c) return chars + 1 < MAX_ESCAPE_CHARS ? j + 2 : -1;
    j += s.codePointAt(j)! > 0xffff ? 2 : 1;
    chars++;
  }
  return -1;
}

/** Any introducer of a sequence: ESC, 8-bit CSI, or a C1 string introducer (C1_STRINGS). */
const INTRODUCER = /[\x1b\x9b\x90\x98\x9d\x9e\x9f]/;

/** The text without its complete escape sequences; a lone ESC or C1 character stays for FORBIDDEN to remove. */
function removeSequences(s: string): string {
  // Most text has no introducer: one native scan instead of a loop over its characters.
  if (!INTRODUCER.test(s)) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== ESC && c !== C1_CSI && !C1_STRINGS.has(c)) continue;
    const end = sequenceEnd(s, i);
    if (end === -1) continue;
    out += s.slice(from, i);
    from = end;
    i = end - 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** Line breaks and tabs become a space: a message is one line, and a `\r` must not rewrite it. */
const BREAKS = /[\t\n\v\f\r\x85\u2028\u2029]/g;

/**
 * Removed outright, each on its own (PROTOCOL.md §12 lists the same classes): C0, DEL, C1; bidi
 * embeddings/overrides/isolates and marks (Trojan Source, CVE-2021-42574); invisible format characters
 * (U+200B, U+2060-2064, the deprecated U+206A-206F, BOM, Mongolian vowel separator, interlinear
 * annotations); characters that draw as nothing (soft hyphen, combining grapheme joiner, Hangul fillers,
 * Khmer inherent vowels, braille blank, musical format characters); and the tag characters U+E0000-E007F
 * and the variation selectors supplement U+E0100-E01EF (either can carry a whole hidden message, one
 * character per byte; the price is that the rare subdivision flags such as England's show as a plain
 * black flag). ZWNJ U+200C and ZWJ U+200D are not here: Persian, Indic scripts and emoji sequences need them.
 */
const FORBIDDEN =
  /[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u2800\u3164\uffa0\ufeff\ufff9-\ufffb]|[\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/gu;

/** Runs of joiners longer than MAX_JOINER_RUN: they join nothing more, and could hide a message in bits. */
const JOINER_RUN = new RegExp(`[\u200c\u200d]{${MAX_JOINER_RUN + 1},}`, 'g');
/** White space and joiners at either end: there they join nothing. */
const EDGES = /^[\s\u200c\u200d]+|[\s\u200c\u200d]+$/g;

/**
 * Printable ASCII that starts and ends with a visible character: every rule below leaves it as it is, and
 * most chat is this, so it skips them (they are the largest part of a message's cost on the server).
 */
const PLAIN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Anything one of the rules below would change, but NFC and lone surrogates: what BREAKS, FORBIDDEN (with
 * every escape introducer, all C0 or C1), JOINER_RUN and EDGES match. Text without it, well formed and in
 * NFC, is its own sanitised form: one scan instead of five passes (most non-ASCII chat, and every line the
 * client sanitises again, is this).
 */
const SUSPECT = new RegExp(`${FORBIDDEN.source}|[\u2028\u2029]|${JOINER_RUN.source}|${EDGES.source}`, 'u');

/** Text safe to show in any terminal: one line, NFC, no control, escape, bidi or invisible characters. */
export function sanitizeText(input: string): string {
  if (PLAIN.test(input)) return input;
  if (!SUSPECT.test(input) && input.isWellFormed() && input.normalize('NFC') === input) return input;
  return removeSequences(input.toWellFormed()) // lone surrogates become U+FFFD first
    .replace(BREAKS, ' ')
    .replace(FORBIDDEN, '')
    .replace(JOINER_RUN, (run) => run.slice(0, MAX_JOINER_RUN))
    .normalize('NFC')
    .replace(EDGES, '');
}

/** Length in code points, the unit MAX_TEXT_CHARS counts (an emoji is one, not two UTF-16 units). */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The first `max` code points of `text`. */
export function truncateCodePoints(text: string, max: number): string {
  let n = 0;
  let end = 0;
  for (const ch of text) {
    if (n === max) return text.slice(0, end);
    n++;
    end += ch.length;
  }
  return text;
}

export type CheckedText = { ok: true; text: string } | { ok: false; code: 'empty_text' | 'text_too_long'; message: string };

/**
 * A message's text as it may be relayed or shown: sanitised, not empty, at most MAX_TEXT_CHARS code
 * points. The server (for the room and whispers) and a direct link (for its peer) apply the same rule.
 */
export function checkText(raw: string): CheckedText {
  const text = sanitizeText(raw);
  if (text === '') return { ok: false, code: 'empty_text', message: 'nothing left once control characters are removed' };
  // A string of at most MAX_TEXT_CHARS UTF-16 units has at most as many code points: no need to count them.
  const length = text.length <= MAX_TEXT_CHARS ? text.length : codePointLength(text);
  if (length > MAX_TEXT_CHARS) return { ok: false, code: 'text_too_long', message: `a message may be at most ${MAX_TEXT_CHARS} characters; this one has ${length}` };
  return { ok: true, text };
}
