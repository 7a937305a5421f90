import { describe, expect, it } from 'vitest';
import { escapeTagValue, IrcEncodeError, lineBytes, parseLine, serializeLine, splitUtf8, unescapeTagValue, type IrcMessage } from '../../../src/server/irc/codec.js';
import { IRC_CLIENT_TAG_BYTES, IRC_LINE_BYTES } from '../../../src/wire/limits.js';

const parsed = (line: string): IrcMessage => {
  const r = parseLine(line);
  if (!r.ok) throw new Error(`did not parse: ${r.reason}`);
  return r.message;
};

describe('parseLine', () => {
  it('reads source, command and a trailing parameter with spaces and colons', () => {
    expect(parsed(':alice!a@host PRIVMSG #lobby :hello: there  friend')).toEqual({ source: 'alice!a@host', command: 'PRIVMSG', params: ['#lobby', 'hello: there  friend'] });
  });

  it('upper-cases the command and tolerates runs of spaces between parameters', () => {
    expect(parsed('privmsg   bob    :hi')).toEqual({ command: 'PRIVMSG', params: ['bob', 'hi'] });
    expect(parsed('USER u 0 * :Real Name')).toEqual({ command: 'USER', params: ['u', '0', '*', 'Real Name'] });
  });

  it('keeps an empty trailing parameter, distinct from none', () => {
    expect(parsed('PRIVMSG #lobby :').params).toEqual(['#lobby', '']);
    expect(parsed('PRIVMSG #lobby').params).toEqual(['#lobby']);
  });

  it('takes the 15th parameter whole, spaces included (RFC 2812: at most 15)', () => {
    const words = Array.from({ length: 16 }, (_, i) => `p${i}`);
    const m = parsed(`CMD ${words.join(' ')}`);
    expect(m.params).toHaveLength(15);
    expect(m.params[14]).toBe('p14 p15');
  });

  it('reads tags and unescapes their values; a key without a value is empty', () => {
    expect(parsed('@time=2024-01-01T00:00:00Z;+draft/reply=x\\sy\\:z\\\\w;flag :n PRIVMSG a :b').tags).toEqual({
      time: '2024-01-01T00:00:00Z',
      '+draft/reply': 'x y;z\\w',
      flag: '',
    });
  });

  it('refuses a line whose untagged part is over 510 bytes, counted in UTF-8, but allows long tags', () => {
    const fits = `PRIVMSG #lobby :${'é'.repeat((IRC_LINE_BYTES - 2 - 16) / 2)}`;
    expect(Buffer.byteLength(fits)).toBe(IRC_LINE_BYTES - 2);
    expect(parseLine(fits).ok).toBe(true);
    expect(parseLine(fits + 'x')).toEqual({ ok: false, reason: 'too_long' });
    expect(parseLine(`@a=${'x'.repeat(4000)} ${fits}`).ok).toBe(true);
    // Tag data from a client: at most IRC_CLIENT_TAG_BYTES, without the @ and the space (IRCv3 message-tags).
    expect(parseLine(`@a=${'x'.repeat(IRC_CLIENT_TAG_BYTES - 2)} PING x`).ok).toBe(true);
    expect(parseLine(`@a=${'x'.repeat(IRC_CLIENT_TAG_BYTES - 1)} PING x`)).toEqual({ ok: false, reason: 'too_long' });
  });

  it('says what is wrong with a line that has no command', () => {
    expect(parseLine('')).toEqual({ ok: false, reason: 'empty' });
    expect(parseLine(':source-only')).toEqual({ ok: false, reason: 'no_command' });
    expect(parseLine('@a=b')).toEqual({ ok: false, reason: 'no_command' });
  });
});

describe('serializeLine', () => {
  it('writes the last parameter with a colon only when it needs one', () => {
    expect(serializeLine({ command: 'PING', params: ['x'] })).toBe('PING x\r\n');
    expect(serializeLine({ source: 'parley', command: '001', params: ['bob', 'Welcome home'] })).toBe(':parley 001 bob :Welcome home\r\n');
    expect(serializeLine({ command: 'PRIVMSG', params: ['bob', ':)'] })).toBe('PRIVMSG bob ::)\r\n');
    expect(serializeLine({ command: 'PRIVMSG', params: ['bob', ''] })).toBe('PRIVMSG bob :\r\n');
  });

  it('escapes tag values so they round-trip', () => {
    const value = 'a b;c\\d\r\ne';
    const line = serializeLine({ tags: { k: value, bare: '' }, command: 'TAGMSG', params: ['#lobby'] });
    expect(line).toBe('@k=a\\sb\\:c\\\\d\\r\\ne;bare TAGMSG #lobby\r\n');
    expect(parsed(line.slice(0, -2)).tags).toEqual({ k: value, bare: '' });
    expect(unescapeTagValue(escapeTagValue(value))).toBe(value);
  });

  it('refuses CR, LF or NUL anywhere, so no text can end the line and start a command', () => {
    for (const bad of ['hi\r\nQUIT', 'hi\nJOIN #x', 'a\0b', 'a\rb']) {
      expect(() => serializeLine({ command: 'PRIVMSG', params: ['#lobby', bad] })).toThrow(IrcEncodeError);
      expect(() => serializeLine({ source: bad.replace(/ /g, ''), command: 'PING', params: ['x'] })).toThrow(IrcEncodeError);
    }
  });

  it('refuses a middle parameter that would change the parameter count', () => {
    expect(() => serializeLine({ command: 'MODE', params: ['two words', 'x'] })).toThrow(IrcEncodeError);
    expect(() => serializeLine({ command: 'MODE', params: ['', 'x'] })).toThrow(IrcEncodeError);
  });

  it('round-trips through parseLine', () => {
    const m: IrcMessage = { tags: { time: '2024-01-01T00:00:00.000Z' }, source: 'a!a@parley', command: 'PRIVMSG', params: ['#lobby', 'hi there :)'] };
    expect(parsed(serializeLine(m).slice(0, -2))).toEqual(m);
    expect(lineBytes(m)).toBe(Buffer.byteLength(':a!a@parley PRIVMSG #lobby :hi there :)\r\n'));
  });
});

describe('splitUtf8', () => {
  it('keeps every piece within the byte budget, never splits a character, and loses nothing but break spaces', () => {
    const text = 'héllo 世界 😀 '.repeat(60);
    const pieces = splitUtf8(text, 100);
    for (const p of pieces) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(100);
    expect(pieces.join(' ').replace(/ +/g, ' ').trim()).toBe(text.trim().replace(/ +/g, ' '));
    expect(pieces.join('')).not.toContain('\uFFFD');
  });

  it('cuts a long word without spaces at a character boundary', () => {
    const pieces = splitUtf8('😀'.repeat(30), 10);
    expect(pieces.every((p) => p === '😀😀')).toBe(true);
    expect(pieces).toHaveLength(15);
  });
});
