import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import { fnv1a } from '../view/colors.js';

// Operating System Commands the client writes itself: hyperlinks (OSC 8) and desktop notifications (OSC 777,
// OSC 9). Every argument is built here from sanitised text and then checked again byte by byte, so a remote
// person's text can end up inside the sequence but can never end it early or start another one.

const ESC = '\x1b';
/** String Terminator (ESC \): accepted by every terminal that implements these; BEL is a legacy form. */
const ST = `${ESC}\\`;

/** Characters of notification text sent to the desktop: a notification is a glance, not the message. */
export const MAX_NOTIFICATION_CHARS = 200;
/** Bytes of a URL put into OSC 8; longer ones are shown as plain text (terminals cap it; VTE at 2083). */
export const MAX_LINK_URL_BYTES = 2048;

/** Text that may stand inside an OSC string: sanitised, printable, one line, capped. */
function oscText(text: string, max: number): string {
  return truncateCodePoints(sanitizeText(text), max);
}

/** True when `s` has no byte that could end or escape an OSC string (C0, DEL, C1). */
function inert(s: string): boolean {
  return !/[\x00-\x1f\x7f-\x9f]/.test(s);
}

/**
 * OSC 777 `notify` (rxvt-unicode's extension, also foot, Ghostty, WezTerm, VTE with the Fedora patch):
 * `ESC ] 777 ; notify ; TITLE ; BODY ST`. The title cannot hold `;`, which separates the fields.
 */
export function osc777(title: string, body: string): string {
  const t = oscText(title, 64).replaceAll(';', ',');
  const b = oscText(body, MAX_NOTIFICATION_CHARS);
  return checked(`${ESC}]777;notify;${t};${b}${ST}`, [t, b]);
}

/**
 * OSC 9 (iTerm2's Growl notification, also kitty, WezTerm, Ghostty, Windows Terminal, ConEmu):
 * `ESC ] 9 ; TEXT ST`. ConEmu reads `9;1;...` to `9;12` as other commands (progress, sleep), so text that
 * starts with a digit and `;` gets a leading space.
 */
export function osc9(title: string, body: string): string {
  let text = oscText(`${title}: ${body}`, MAX_NOTIFICATION_CHARS);
  if (/^\d+;/.test(text)) text = ' ' + text;
  return checked(`${ESC}]9;${text}${ST}`, [text]);
}

/** `url` as OSC 8 wants it: percent-encoded printable ASCII, or undefined (too long, or not a URL at all). */
function linkUri(url: string): string | undefined {
  let uri: string;
  try {
    uri = new URL(url).href; // percent-encodes spaces, non-ASCII and controls
  } catch {
    return undefined;
  }
  return /^[\x21-\x7e]+$/.test(uri) && uri.length <= MAX_LINK_URL_BYTES ? uri : undefined;
}

/**
 * OSC 8 hyperlink (egmontkoblinger's spec, adopted by VTE, iTerm2, kitty, WezTerm, foot, Windows Terminal):
 * `ESC ] 8 ; id=ID ; URI ST` TEXT `ESC ] 8 ; ; ST`. The URI is percent-encoded to printable ASCII as the
 * spec requires; undefined when it cannot be (too long, or not a URL at all) so the caller shows plain text.
 * The opening and closing sequences are put around each cell of a link (panes/frame.ts): a cell
 * redrawn alone is still a whole link, and nothing after it is ever linked by mistake. `id` (a hash of
 * the URI) tells the terminal the cells are one link, so it underlines them together on hover.
 */
export function osc8Link(url: string): { open: string; close: string } | undefined {
  const uri = linkUri(url);
  if (uri === undefined) return undefined;
  const id = fnv1a(uri).toString(36);
  return { open: checked(`${ESC}]8;id=${id};${uri}${ST}`, [uri]), close: `${ESC}]8;;${ST}` };
}

function checked(sequence: string, parts: string[]): string {
  // Defence in depth: if sanitising ever let a control through, send nothing rather than a live escape.
  if (!parts.every(inert)) throw new Error('refusing to write an OSC string with a control character in it');
  return sequence;
}

/**
 * Inside tmux, an OSC meant for the outer terminal must be wrapped in a DCS passthrough (tmux 3.3+ passes
 * it only with `set -g allow-passthrough on`): `ESC P tmux ; ` + the sequence with each ESC doubled + ST.
 */
export function tmuxPassthrough(sequence: string): string {
  return `${ESC}Ptmux;${sequence.replaceAll(ESC, ESC + ESC)}${ST}`;
}
