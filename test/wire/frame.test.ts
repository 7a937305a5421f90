import { describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame, looksLikeTls, type FrameEvent } from '../../src/wire/frame.js';
import { MAX_DISCARD_BYTES, MAX_FRAME_BYTES } from '../../src/wire/limits.js';

const lines = (events: FrameEvent[]) => events.map((e) => (e.kind === 'line' ? e.text : `<${e.kind === 'error' ? e.code : 'overflow'}>`));

function feed(decoder: FrameDecoder, chunks: Buffer[]): string[] {
  return chunks.flatMap((c) => lines(decoder.push(c)));
}

describe('FrameDecoder', () => {
  it('splits several frames arriving in one chunk', () => {
    expect(lines(new FrameDecoder().push(Buffer.from('{"a":1}\n{"b":2}\n{"c"')))).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('gives the same frames whatever byte boundary a frame is split at, multi-byte characters included', () => {
    const text = '{"type":"say","text":"héllo 世界 😀"}\n{"type":"list"}\n';
    const bytes = Buffer.from(text, 'utf8');
    const whole = lines(new FrameDecoder().push(bytes));
    expect(whole).toEqual(['{"type":"say","text":"héllo 世界 😀"}', '{"type":"list"}']);
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i, Math.min(bytes.length, i + 1), Math.min(bytes.length, i + 3)]) {
        const d = new FrameDecoder();
        expect(feed(d, [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(whole);
      }
    }
  });

  it('reassembles a four-byte character delivered one byte at a time', () => {
    const d = new FrameDecoder();
    const bytes = Buffer.from('😀\n', 'utf8');
    const out = [...bytes].flatMap((b) => lines(d.push(Buffer.from([b]))));
    expect(out).toEqual(['😀']);
  });

  it('strips a trailing CR and skips blank lines', () => {
    expect(lines(new FrameDecoder().push(Buffer.from('\n\r\n{"x":1}\r\n\n')))).toEqual(['{"x":1}']);
  });

  it('reports invalid UTF-8 and goes on with the next frame', () => {
    const bad = Buffer.concat([Buffer.from('{"t":"'), Buffer.from([0xc0, 0x80, 0xff]), Buffer.from('"}\n{"ok":1}\n')]);
    expect(lines(new FrameDecoder().push(bad))).toEqual(['<invalid_utf8>', '{"ok":1}']);
  });

  it('rejects a lone surrogate encoded as UTF-8 bytes (CESU)', () => {
    expect(lines(new FrameDecoder().push(Buffer.from([0xed, 0xa0, 0x80, 0x0a])))).toEqual(['<invalid_utf8>']);
  });

  it('accepts a line of exactly the limit and drops one byte more, once, then resyncs at the newline', () => {
    const d = new FrameDecoder();
    const exact = 'a'.repeat(MAX_FRAME_BYTES);
    expect(lines(d.push(Buffer.from(exact + '\n')))).toEqual([exact]);
    const over = Buffer.from('b'.repeat(MAX_FRAME_BYTES + 1));
    expect(lines(d.push(over.subarray(0, 5000)))).toEqual([]);
    expect(lines(d.push(over.subarray(5000)))).toEqual(['<frame_too_large>']);
    expect(lines(d.push(Buffer.from('more of the same line')))).toEqual([]);
    expect(lines(d.push(Buffer.from('\n{"next":1}\n')))).toEqual(['{"next":1}']);
  });

  it('never holds more than the frame limit while skipping a long line', () => {
    const d = new FrameDecoder();
    for (let i = 0; i < 7; i++) d.push(Buffer.alloc(8000, 0x61));
    expect(d.buffered).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });

  it('gives up with overflow when a line runs past the discard limit, and then ignores everything', () => {
    const d = new FrameDecoder();
    const out = feed(d, [Buffer.alloc(MAX_DISCARD_BYTES, 0x61), Buffer.alloc(10, 0x61), Buffer.from('\n{"x":1}\n')]);
    expect(out).toEqual(['<frame_too_large>', '<overflow>']);
  });
});

describe('encodeFrame', () => {
  it('writes one line of JSON, escaping newlines inside strings', () => {
    const frame = encodeFrame({ type: 'say', text: 'two\nlines' });
    expect(frame.toString()).toBe('{"type":"say","text":"two\\nlines"}\n');
    expect(frame.indexOf(0x0a)).toBe(frame.length - 1);
  });

  it('a shared (frozen) users list makes the same frame, whatever else the frame holds', () => {
    const users = Object.freeze(['ann', 'bob "b"', 'cy\u2028']);
    for (const message of [{ type: 'room', room: '#a', users, operators: [] }, { users }, { type: 'users', users, away: ['ann'] }]) {
      const frame = encodeFrame(message).toString();
      expect(JSON.parse(frame)).toEqual({ ...message, users: [...users] });
      expect(frame.indexOf('\n')).toBe(frame.length - 1);
    }
  });
});

describe('looksLikeTls', () => {
  it('recognises a TLS ClientHello and not a JSON frame', () => {
    expect(looksLikeTls(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe(true);
    expect(looksLikeTls(Buffer.from('{"type":"hello"}\n'))).toBe(false);
  });
});

// Issue 12, item 4: the limit counts the frame, not its line ending; white space alone is a blank line.
describe('FrameDecoder: line endings and blank lines', () => {
  it.each([
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
  ])('accepts a frame of exactly MAX_FRAME_BYTES ended by %s', (_, ending) => {
    const body = `{"t":"${'x'.repeat(MAX_FRAME_BYTES - 8)}"}`;
    expect(Buffer.byteLength(body)).toBe(MAX_FRAME_BYTES);
    expect(lines(new FrameDecoder().push(Buffer.from(body + ending)))).toEqual([body]);
  });

  it('accepts it whatever chunk boundary falls between the \\r and the \\n', () => {
    const body = `{"t":"${'x'.repeat(MAX_FRAME_BYTES - 8)}"}`;
    const d = new FrameDecoder();
    expect(feed(d, [Buffer.from(body + '\r'), Buffer.from('\n{"b":1}\n')])).toEqual([body, '{"b":1}']);
  });

  it.each([
    ['one byte more, with \\r\\n', 1, '\r\n'],
    ['one byte more, with \\n', 1, '\n'],
    ['two bytes more, with \\r\\n', 2, '\r\n'],
  ])('still refuses %s, once', (_, extra, ending) => {
    const body = 'y'.repeat(MAX_FRAME_BYTES + extra);
    expect(lines(new FrameDecoder().push(Buffer.from(`${body}${ending}{"n":2}\n`)))).toEqual(['<frame_too_large>', '{"n":2}']);
  });

  it('ignores lines of spaces, tabs and carriage returns like blank ones', () => {
    expect(lines(new FrameDecoder().push(Buffer.from(' \n\t\n \t \r\n\r\r\n{"x":1}\n  \n')))).toEqual(['{"x":1}']);
  });

  it('keeps a frame with white space around the JSON', () => {
    expect(lines(new FrameDecoder().push(Buffer.from('  {"x":1}\t\n')))).toEqual(['  {"x":1}\t']);
  });
});
