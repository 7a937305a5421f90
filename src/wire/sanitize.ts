// What another person typed must never drive a terminal. This runs on the server for everything it relays
// and again in the client before anything is drawn (a client may talk to a server that is not ours).
// Rules: PROTOCOL.md §12 "Text".

import { MAX_TEXT_CHARS } from './limits.js';

/** Whole escape sequences, so `ESC[2J` leaves nothing behind rather than a stray `[2J`. */
const ESCAPE_SEQUENCE = new RegExp(
  [
    // CSI: ESC [ or the 8-bit U+009B, parameters, intermediates, final byte
    '(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?',
    // OSC, DCS, SOS, PM, APC (7- and 8-bit): everything up to BEL or ST, or to the end if unterminated
    '(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[\\s\\S]*?(?:\\x07|\\x1b\\\\|\\x9c|$)',
    // any other ESC sequence: intermediates and one final byte
    '\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?',
  ].join('|'),
  'g',
);

/** Line breaks and tabs become a space: a message is one line, and a `\r` must not rewrite it. */
const BREAKS = /[\t\n\v\f\r\x85\u2028\u2029]/g;

/**
 * Removed outright: the rest of C0, DEL, C1, bidi embeddings/overrides/isolates and marks (Trojan Source),
 * zero-width and invisible format characters (look-alike names, hidden text), interlinear annotations,
 * and the characters that draw as nothing: soft hyphen, combining grapheme joiner, Hangul fillers, and
 * the tag characters U+E0000-E007F and the variation selectors supplement U+E0100-E01EF (either can
 * carry a whole hidden message, one character per byte; the price is that the rare subdivision flags such
 * as England's show as a plain black flag), the braille blank, Khmer inherent vowels and musical format
 * characters.
 */
const FORBIDDEN =
  /[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u2800\u3164\uffa0\ufeff\ufff9-\ufffb]|[\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/gu;

/** Text safe to show in any terminal: one line, NFC, no control, escape, bidi or invisible characters. */
export function sanitizeText(input: string): string {
  return input
    .toWellFormed() // lone surrogates become U+FFFD
    .replace(ESCAPE_SEQUENCE, '')
    .replace(BREAKS, ' ')
    .replace(FORBIDDEN, '')
    .normalize('NFC')
    .trim();
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
  const length = codePointLength(text);
  if (length > MAX_TEXT_CHARS) return { ok: false, code: 'text_too_long', message: `a message may be at most ${MAX_TEXT_CHARS} characters; this one has ${length}` };
  return { ok: true, text };
}
