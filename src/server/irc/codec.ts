// The IRC line format, both ways, with no sockets: `[@tags ][:source ]COMMAND[ params][ :trailing]`.
// Grammar: RFC 1459 §2.3.1 and RFC 2812 §2.3.1; tags and their escaping: IRCv3 message-tags
// (https://ircv3.net/specs/extensions/message-tags); the modern summary of both is
// https://modern.ircdocs.horse/#message-format.

import { IRC_CLIENT_TAG_BYTES, IRC_LINE_BYTES } from '../../wire/limits.js';

/** Parameters one message may carry (RFC 2812 §2.3.1: 14 middle params and one trailing). */
export const IRC_MAX_PARAMS = 15;

/** One IRC message. `params` holds the trailing parameter last, unescaped, like any other. */
export interface IrcMessage {
  tags?: Record<string, string>;
  source?: string;
  /** Upper-cased for commands; a numeric reply is its three digits. */
  command: string;
  params: string[];
}

export type IrcParse = { ok: true; message: IrcMessage } | { ok: false; reason: 'empty' | 'too_long' | 'no_command' };

/** The escapes of a tag value (IRCv3 message-tags "Escaping values"). */
const TAG_UNESCAPE: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

/**
 * Undo tag-value escaping: `\:` `;`, `\s` space, `\\` backslash, `\r`, `\n`; any other escaped character
 * stands for itself, and a lone trailing backslash is dropped (the spec's rules for malformed input).
 */
export function unescapeTagValue(value: string): string {
  return value.replace(/\\(.?)/gs, (_, c: string) => (c === '' ? '' : (TAG_UNESCAPE[c] ?? c)));
}

/** Escape a tag value for the wire; the inverse of unescapeTagValue. */
export function escapeTagValue(value: string): string {
  return value.replace(/[\\; \r\n]/g, (c) => (c === '\\' ? '\\\\' : c === ';' ? '\\:' : c === ' ' ? '\\s' : c === '\r' ? '\\r' : '\\n'));
}

/**
 * Parse one line (its CR LF already removed). The tag data may be up to IRC_CLIENT_TAG_BYTES and the rest up to
 * IRC_LINE_BYTES - 2 bytes, counted in UTF-8; longer is `too_long` (the caller answers ERR_INPUTTOOLONG).
 * Runs of spaces between parameters count as one (RFC 2812 allows only one; every server tolerates more);
 * the command is upper-cased so `privmsg` works as clients expect.
 */
export function parseLine(line: string): IrcParse {
  let rest = line;
  let tags: Record<string, string> | undefined;
  if (rest.startsWith('@')) {
    const space = rest.indexOf(' ');
    const raw = space === -1 ? rest.slice(1) : rest.slice(1, space);
    if (Buffer.byteLength(raw) > IRC_CLIENT_TAG_BYTES) return { ok: false, reason: 'too_long' };
    tags = {};
    for (const item of raw.split(';')) {
      if (item === '') continue;
      const eq = item.indexOf('=');
      const key = eq === -1 ? item : item.slice(0, eq);
      // The last of duplicate keys wins (message-tags "Rules for naming and duplicates").
      tags[key] = eq === -1 ? '' : unescapeTagValue(item.slice(eq + 1));
    }
    rest = space === -1 ? '' : rest.slice(space + 1);
  }
  rest = rest.replace(/^ +/, '');
  if (Buffer.byteLength(rest) > IRC_LINE_BYTES - 2) return { ok: false, reason: 'too_long' };
  if (rest === '') return { ok: false, reason: tags ? 'no_command' : 'empty' };
  let source: string | undefined;
  if (rest.startsWith(':')) {
    const space = rest.indexOf(' ');
    if (space === -1) return { ok: false, reason: 'no_command' };
    source = rest.slice(1, space);
    rest = rest.slice(space + 1).replace(/^ +/, '');
  }
  const params: string[] = [];
  let command: string | undefined;
  while (rest !== '') {
    if (command !== undefined && (rest.startsWith(':') || params.length === IRC_MAX_PARAMS - 1)) {
      params.push(rest.startsWith(':') ? rest.slice(1) : rest);
      break;
    }
    const space = rest.indexOf(' ');
    const word = space === -1 ? rest : rest.slice(0, space);
    if (command === undefined) command = word;
    else params.push(word);
    rest = space === -1 ? '' : rest.slice(space + 1).replace(/^ +/, '');
  }
  if (command === undefined || command === '') return { ok: false, reason: 'no_command' };
  return { ok: true, message: { ...(tags && { tags }), ...(source !== undefined && { source }), command: command.toUpperCase(), params } };
}

/** Thrown when a message cannot be written as one well-formed line; always a bug in the caller. */
export class IrcEncodeError extends Error {}

/** CR, LF and NUL end or corrupt a line (RFC 1459 §2.3.1: they may appear nowhere in a message). */
const LINE_BREAKERS = /[\r\n\0]/;

/**
 * One line, CR LF included. Every parameter but the last must be non-empty, free of spaces and not start
 * with `:`; the last gets a `:` when it needs one. No part may hold CR, LF or NUL: that would let text
 * end the line and start a command of its own in the reader's stream, so it throws instead of writing.
 * Callers put user text through `ircSafe` first; the throw is the backstop.
 */
export function serializeLine(m: IrcMessage): string {
  let out = '';
  if (m.tags) {
    const items = Object.entries(m.tags).map(([k, v]) => (v === '' ? k : `${k}=${escapeTagValue(v)}`));
    if (items.length > 0) out += `@${items.join(';')} `;
  }
  if (m.source !== undefined) {
    if (m.source === '' || /[ \r\n\0]/.test(m.source)) throw new IrcEncodeError(`bad source ${JSON.stringify(m.source)}`);
    out += `:${m.source} `;
  }
  if (!/^[A-Za-z]+$|^\d{3}$/.test(m.command)) throw new IrcEncodeError(`bad command ${JSON.stringify(m.command)}`);
  out += m.command;
  m.params.forEach((p, i) => {
    if (LINE_BREAKERS.test(p)) throw new IrcEncodeError(`CR, LF or NUL in parameter ${i} of ${m.command}`);
    const last = i === m.params.length - 1;
    if (last && (p === '' || p.includes(' ') || p.startsWith(':'))) out += ` :${p}`;
    else if (p === '' || p.includes(' ') || p.startsWith(':')) throw new IrcEncodeError(`parameter ${i} of ${m.command} needs to be last`);
    else out += ` ${p}`;
  });
  return out + '\r\n';
}

/** Bytes the line of `m` takes without its tags, CR LF included: what IRC_LINE_BYTES limits. */
export function lineBytes(m: IrcMessage): number {
  const { tags: _tags, ...rest } = m;
  return Buffer.byteLength(serializeLine(rest));
}

/**
 * Split `text` into pieces of at most `maxBytes` UTF-8 bytes each, never inside a character (a code point;
 * a grapheme cluster may still be split on a very long word, which readers tolerate), preferring to break
 * after a space. Used when a parley message (up to 2000 characters) is longer than one IRC line.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must fit one character');
  const out: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    let bytes = 0;
    let cut = 0;
    let lastSpace = -1;
    for (const ch of rest) {
      const b = Buffer.byteLength(ch);
      if (bytes + b > maxBytes) break;
      bytes += b;
      cut += ch.length;
      if (ch === ' ') lastSpace = cut;
    }
    const at = lastSpace > 0 ? lastSpace : cut;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at);
  }
  if (rest !== '' || out.length === 0) out.push(rest);
  return out;
}
