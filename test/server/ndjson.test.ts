import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src/server/events.js';
import { NDJSON, ndjsonV1 } from '../../src/server/ndjson.js';
import { encodeFrame } from '../../src/wire/frame.js';

// The sender's echo carries its ref: the codecs make it from the room's frame instead of encoding again.
// The bytes must be exactly those of encoding `{ ...event, ref }`.

const message = (text: string, room = '#lobby'): ChatEvent => ({ type: 'message', room, id: 7, from: 'alice', text, time: 1_700_000_000_000 });

describe('the echo with a ref', () => {
  const refs = ['a1', 'r"q\\uote', 'ünï💬', '\u2028', ''];

  it('is the same bytes as encoding the event with its ref (NDJSON)', () => {
    for (const ref of refs) {
      for (const event of [message('hi'), message('"quoted" \\ é 💬'), { ...message('me'), action: true } as ChatEvent]) {
        NDJSON.encode(event); // the room's copy first, as in a say
        expect(NDJSON.encodeWithRef!(event, ref)!.toString()).toBe(encodeFrame({ ...event, ref }).toString());
      }
    }
  });

  it('is the same bytes as the version-1 encoding of the event with its ref, room left out', () => {
    const v1 = ndjsonV1('#lobby');
    for (const ref of refs) {
      const event = message('hi');
      expect(v1.encodeWithRef!(event, ref)!.toString()).toBe(v1.encode({ ...event, ref } as ChatEvent)!.toString());
      expect(JSON.parse(v1.encodeWithRef!(event, ref)!.toString())).toEqual({ type: 'message', id: 7, from: 'alice', text: 'hi', time: 1_700_000_000_000, ref });
    }
    expect(v1.encodeWithRef!(message('hi', '#dev'), 'x')).toBeNull();
  });

  it('replaces a ref the event already has, in place, as the spread does', () => {
    const event = { type: 'ok', re: 'away', ref: 'old' } as ChatEvent;
    expect(NDJSON.encodeWithRef!(event, 'new')!.toString()).toBe('{"type":"ok","re":"away","ref":"new"}\n');
  });

  it('gives the same event the same Buffer, and another event its own bytes', () => {
    const a = message('one');
    const b = message('two');
    const first = NDJSON.encode(a);
    expect(NDJSON.encode(a)).toBe(first);
    expect(NDJSON.encode(b)!.toString()).toContain('"text":"two"');
    expect(NDJSON.encode(a)!.toString()).toBe(first!.toString());
  });
});
