// Text crossing between IRC and parley. mIRC's formatting codes (https://modern.ircdocs.horse/formatting)
// are control bytes that parley's sanitiser would drop one by one, leaving a colour's digits behind
// ("\x0304,12red" would read "04,12red"); they are removed whole here, before the core sees the text.
// The other way, parley's text is already free of controls, but the gateway never trusts that: ircSafe
// takes CR, LF and NUL out of anything it writes, so no parley user can end an IRC line and start a command.

import { MAX_TEXT_CHARS } from '../../wire/limits.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';

/**
 * mIRC formatting: bold \x02, colour \x03 with up to two digits, a comma and up to two more, hex colour
 * \x04 with RRGGBB[,RRGGBB], monospace \x11, italics \x1d, strikethrough \x1e, underline \x1f,
 * reverse \x16, reset \x0f.
 */
const MIRC_FORMATTING = /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;

/** `text` without mIRC formatting codes; the words stay, the styling goes. */
export function stripFormatting(text: string): string {
  return text.replace(MIRC_FORMATTING, '');
}

/** CTCP framing (https://modern.ircdocs.horse/ctcp): `\x01VERB params\x01`, the closing \x01 optional. */
export interface Ctcp {
  verb: string;
  params: string;
}

/** The CTCP inside a PRIVMSG/NOTICE text, or null for plain text. */
export function parseCtcp(text: string): Ctcp | null {
  if (!text.startsWith('\x01')) return null;
  const body = text.slice(1).replace(/\x01$/, '');
  const space = body.indexOf(' ');
  return space === -1 ? { verb: body.toUpperCase(), params: '' } : { verb: body.slice(0, space).toUpperCase(), params: body.slice(space + 1) };
}

/** CR, LF and NUL become a space: text for one IRC parameter can then never end the line. */
export function ircSafe(text: string): string {
  return text.replace(/[\r\n\0]/g, ' ');
}

/**
 * Text an IRC client gives the gateway to show to others itself, without the core (a real name, a
 * WALLOPS): made as the core makes every text (PROTOCOL.md §12: no escape, control, bidi or invisible
 * characters, one line), without mIRC formatting first, and cut to MAX_TEXT_CHARS code points.
 */
export function shownText(raw: string): string {
  return truncateCodePoints(sanitizeText(stripFormatting(raw)), MAX_TEXT_CHARS);
}
