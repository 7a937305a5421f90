import { describe, expect, it } from 'vitest';
import { parseClientMessage, parseServerMessage } from '../../src/wire/messages.js';

describe('parseClientMessage', () => {
  it('accepts each request type with its fields', () => {
    for (const frame of [
      { type: 'hello', name: 'alice', version: 1 },
      { type: 'say', text: 'hi', ref: '7' },
      { type: 'say', text: 'waves', action: true },
      { type: 'whisper', to: 'bob', text: 'psst' },
      { type: 'nick', name: 'robert' },
      { type: 'list' },
      { type: 'quit' },
      { type: 'quit', reason: 'bye' },
      { type: 'ping', token: 'x' },
      { type: 'pong' },
    ]) {
      expect(parseClientMessage(JSON.stringify(frame))).toEqual({ ok: true, message: frame });
    }
  });

  it.each([
    ['not JSON', '{"type":', 'malformed_json'],
    ['an array', '[1,2]', 'invalid_message'],
    ['a string', '"hello"', 'invalid_message'],
    ['null', 'null', 'invalid_message'],
    ['no type', '{"text":"hi"}', 'invalid_message'],
    ['unknown type', '{"type":"explode"}', 'unknown_type'],
    ['a missing field', '{"type":"whisper","to":"bob"}', 'invalid_message'],
    ['a wrongly typed field', '{"type":"say","text":42}', 'invalid_message'],
    ['a non-finite version', '{"type":"hello","name":"a","version":"1"}', 'invalid_message'],
    ['a non-boolean action', '{"type":"say","text":"x","action":"yes"}', 'invalid_message'],
    ['an over-long ref', `{"type":"list","ref":"${'r'.repeat(65)}"}`, 'invalid_message'],
    ['an inherited property name as type', '{"type":"toString"}', 'unknown_type'],
  ])('refuses %s with a specific code', (_name, line, code) => {
    const parsed = parseClientMessage(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.code).toBe(code);
  });

  it('names the request type and echoes the ref on a field error', () => {
    expect(parseClientMessage('{"type":"whisper","to":"bob","ref":"9"}')).toMatchObject({ ok: false, re: 'whisper', ref: '9', message: 'whisper: "text" must be a string' });
  });

  it('ignores extra fields, __proto__ included', () => {
    expect(parseClientMessage('{"type":"list","__proto__":{"type":"quit"},"extra":1}')).toMatchObject({ ok: true, message: { type: 'list' } });
  });

  it('survives deep nesting', () => {
    const deep = '{"type":"say","text":"x","n":' + '['.repeat(3000) + ']'.repeat(3000) + '}';
    expect(parseClientMessage(deep).ok).toBe(true);
  });
});

describe('parseServerMessage', () => {
  it('checks the server too: a message without text is refused', () => {
    expect(parseServerMessage('{"type":"message","id":1,"from":"a","time":1}').ok).toBe(false);
    expect(parseServerMessage('{"type":"users","users":["a",1]}').ok).toBe(false);
    expect(parseServerMessage('{"type":"users","users":["a","b"]}').ok).toBe(true);
  });
});

// Issue 12, items 3 and 10: one unit, code points, for every length the validators check; a quit reason
// and a password are never refused by the validator for their length (the server cuts or answers them).
describe('lengths count code points, everywhere', () => {
  const emoji = (n: number) => '😀'.repeat(n);
  const fields: [string, (v: string) => object, number][] = [
    ['ref', (v) => ({ type: 'list', ref: v }), 64],
    ['ping token', (v) => ({ type: 'ping', token: v }), 64],
    ['pong token', (v) => ({ type: 'pong', token: v }), 64],
    ['hello token', (v) => ({ type: 'hello', name: 'a', version: 1, token: v }), 128],
    ['hello session', (v) => ({ type: 'hello', name: 'a', version: 1, session: v }), 64],
  ];
  it.each(fields)('%s: the limit in emoji is accepted, one more refused', (_, frame, max) => {
    expect(parseClientMessage(JSON.stringify(frame(emoji(max)))).ok).toBe(true);
    const over = parseClientMessage(JSON.stringify(frame(emoji(max + 1))));
    expect(over).toMatchObject({ ok: false, code: 'invalid_message' });
  });

  it('a quit reason of any length is accepted (the server cuts it to 200)', () => {
    for (const reason of [emoji(200), emoji(201), 'x'.repeat(5000)]) expect(parseClientMessage(JSON.stringify({ type: 'quit', reason })).ok).toBe(true);
  });

  it.each([
    ['register', (p: string) => ({ type: 'register', password: p })],
    ['hello', (p: string) => ({ type: 'hello', name: 'a', version: 1, password: p })],
  ])('a %s password of any length reaches the server', (_, frame) => {
    for (const p of ['x'.repeat(257), 'x'.repeat(1025), emoji(1500)]) expect(parseClientMessage(JSON.stringify(frame(p))).ok).toBe(true);
  });

  it('ping and pong may carry a ref', () => {
    expect(parseClientMessage('{"type":"ping","token":"t","ref":"r"}')).toEqual({ ok: true, message: { type: 'ping', token: 't', ref: 'r' } });
  });
});
