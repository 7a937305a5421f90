import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Accounts } from '../../src/server/accounts.js';
import { Hub, type Outbox } from '../../src/server/hub.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { RandomPool } from '../../src/server/randompool.js';
import { Store } from '../../src/server/store.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { FAST_SCRYPT } from './helpers.js';

// What one hello costs the core (issue 15, target 6: 1,000 clients joined in under a second), counted and
// never timed: database statements, random draws. The answers a client sees stay as they were.

function setup(withStore = true) {
  const frames = new Map<number, ServerMessage[]>();
  const out: Outbox = {
    send: (id, frame) => frames.set(id, [...(frames.get(id) ?? []), ...frame.toString().trim().split('\n').map((l) => JSON.parse(l) as ServerMessage)]),
    close: () => {},
  };
  const store = new Store(':memory:');
  const accounts = new Accounts(store, new PasswordHasher(FAST_SCRYPT), { mode: 'optional', blockDurationS: 60 });
  const hub = new Hub(out, { ...(withStore && { store, accounts }), ratePerSecond: 0, maxConnectionsPerIp: 0, groupNotices: true });
  let next = 1;
  const hello = (name: string): ServerMessage[] => {
    const id = next++;
    hub.connect(id, '127.0.0.1', id);
    hub.receive(id, JSON.stringify({ type: 'hello', name, version: 2, grouped: true, usersOnce: true }));
    return frames.get(id) ?? [];
  };
  return { hub, store, hello, frames };
}

describe('a guest hello', () => {
  it('reads the accounts once: whether its name is registered and whether a registered name looks like it', async () => {
    const t = setup();
    t.store.addUser('alice', 'alice', await new PasswordHasher(FAST_SCRYPT).hash('correct horse'), 0);
    for (let i = 0; i < 10; i++) t.hello(`warm${i}`); // the history cache is filled by the first
    const before = t.store.statements;
    for (let i = 0; i < 100; i++) expect(t.hello(`guest${i}`).map((f) => f.type)).toEqual(['welcome', 'room']);
    // Two statements per hello before (is it registered? does a registered name look like it?).
    expect((t.store.statements - before) / 100).toBe(1);
    // The answers are as before: a registered name asks for its password, a look-alike of one is refused.
    expect(t.hello('Alice')).toMatchObject([{ type: 'error', code: 'password_required', re: 'hello' }]);
    expect(t.hello('aIice')).toMatchObject([{ type: 'error', code: 'name_confusable', re: 'hello' }]);
    expect(t.hello('a1ice')).toMatchObject([{ type: 'error', code: 'name_confusable' }]);
  });
});

describe('session keys (welcome.session)', () => {
  it('are 16 random bytes each, distinct, drawn from the CSPRNG a pool at a time rather than once per connection', () => {
    let draws = 0;
    const pool = new RandomPool((n) => {
      draws++;
      return randomBytes(n);
    });
    const keys = Array.from({ length: 1000 }, () => pool.token(16));
    expect(new Set(keys).size).toBe(1000);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(draws).toBe(4); // 4,096 bytes a draw: 256 keys
  });

  it('differ from one connection to the next', () => {
    const t = setup();
    const sessions = Array.from({ length: 300 }, (_, i) => t.hello(`p${i}`).find((f) => f.type === 'welcome')).map((w) => (w?.type === 'welcome' ? w.session : undefined));
    expect(new Set(sessions).size).toBe(300);
    for (const s of sessions) expect(s).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('the grouped join notices of a join storm, at the tick', () => {
  it('encode each newcomer\'s name once, though everyone who came meanwhile gets the names of those after them', () => {
    const t = setup(false);
    for (let i = 0; i < 60; i++) t.hello(`early${i}`);
    t.hub.tick(); // a busy room (GROUP_NOTICES_MIN_MEMBERS): notices are held for the tick from now on
    const storm = Array.from({ length: 300 }, (_, i) => `storm${String(i).padStart(3, '0')}`);
    const ids = storm.map((name) => {
      t.hello(name);
      return t.frames.size;
    });
    const listBytes = JSON.stringify(storm).length;
    // Everything JSON.stringify is asked to write while the held notices go out.
    let encoded = 0;
    const stringify = JSON.stringify;
    const spy = vi.spyOn(JSON, 'stringify').mockImplementation((...args: Parameters<typeof JSON.stringify>) => {
      const out = stringify(...args);
      encoded += out?.length ?? 0;
      return out;
    });
    for (const id of ids) t.frames.set(id, []);
    t.frames.set(1, []);
    try {
      t.hub.tick();
    } finally {
      spy.mockRestore();
    }
    // What each one got is what it got before: those who came after it, in one frame (an early member: all 300).
    expect(t.frames.get(1)).toEqual([expect.objectContaining({ type: 'joined', name: storm[0], names: storm })]);
    for (const [i, id] of ids.entries()) {
      const after = storm.slice(i + 1);
      expect(t.frames.get(id)).toEqual(after.length === 0 ? [] : after.length === 1 ? [expect.objectContaining({ name: after[0] })] : [expect.objectContaining({ type: 'joined', name: after[0], names: after })]);
    }
    // The names once, and a short head per frame (its type, room, first name, time). Before, each newcomer's
    // tail was encoded on its own: 300 lists of 150 names on average, about 150 times the list's bytes.
    expect(encoded).toBeLessThan(10 * listBytes);
  });
});

