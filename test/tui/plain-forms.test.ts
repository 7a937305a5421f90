import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { clock, formatPlain } from '../../src/tui/format.js';
import type { ChatEvent } from '../../src/tui/core/events.js';

// Issue 11, item 20: in line mode an action (/me) and a line the room says are told apart by their form.

const t = Date.UTC(2024, 4, 1, 9, 0, 0);
const line = (e: ChatEvent) => formatPlain(e)!.line;
const action = (from: string, text: string): ChatEvent => ({ kind: 'message', id: 1, from, text, time: t, action: true, own: false, mention: false });
/** The form of a line the room says: time, the system mark. */
const SYSTEM_LINE = /^\d\d:\d\d:\d\d -!- /;

describe('/me cannot forge a system line (item 20)', () => {
  test('carol\'s "/me has left (quit: see you)" is not her departure', () => {
    const forged = line(action('carol', 'has left (quit: see you)'));
    const real = line({ kind: 'left', name: 'carol', reason: 'quit', message: 'see you', time: t });
    expect(forged).not.toBe(real);
    expect(forged).toBe(`${clock(t)} * carol has left (quit: see you)`);
    expect(real).toMatch(SYSTEM_LINE);
    expect(forged).not.toMatch(SYSTEM_LINE);
  });

  test('a user named "you" cannot print a rename of you', () => {
    const forged = line(action('you', 'are now known as admin'));
    const real = line({ kind: 'renamed', old: 'alice', new: 'admin', time: t, self: true });
    expect(forged).not.toBe(real);
    expect(real).toMatch(SYSTEM_LINE);
  });

  test('no action text from any name ever has the form of a system line', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.-]{1,32}$/), fc.string(), (from, text) => {
        expect(line(action(from, text))).not.toMatch(SYSTEM_LINE);
      }),
    );
    for (const e of [
      { kind: 'joined', name: 'bob', time: t },
      { kind: 'left', name: 'bob', reason: 'lost', time: t },
      { kind: 'renamed', old: 'bob', new: 'rob', time: t, self: false },
      { kind: 'private_request', from: 'bob', time: t },
      { kind: 'private', with: 'bob', state: 'open', detail: 'direct chat with bob is open', time: t },
      // `/me is away: lunch` and `/me banned eve` are actions too, never an away or a moderation line.
      { kind: 'away', name: 'bob', away: true, message: 'lunch', time: t, self: false },
      { kind: 'away', name: 'bob', away: false, time: t, self: false },
      { kind: 'moderation', action: 'ban', by: 'bob', name: 'eve', time: t },
      { kind: 'moderation', action: 'op', by: 'bob', name: 'eve', time: t },
    ] as ChatEvent[]) {
      expect(line(e)).toMatch(SYSTEM_LINE);
    }
  });
});
