import { describe, expect, it } from 'vitest';
import { Accounts } from '../../src/server/accounts.js';
import { Hub, type HubOptions, type Outbox } from '../../src/server/hub.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { FAST_SCRYPT } from './helpers.js';

// The hub with accounts, driven directly: no sockets, an in-memory database, a clock and a password check
// the test completes by hand, to show the room keeps flowing while a login is being checked.

class HeldHasher extends PasswordHasher {
  held: (() => void)[] = [];
  override verify(password: string, stored: string | null): Promise<boolean> {
    return new Promise((resolve) => this.held.push(() => resolve(super.verify(password, stored))));
  }
}

function setup(o: Partial<HubOptions> = {}) {
  let now = 1_000_000;
  const sent = new Map<number, ServerMessage[]>();
  const closed = new Set<number>();
  const out: Outbox = {
    send: (id, frame) => sent.set(id, [...(sent.get(id) ?? []), ...frame.toString().trim().split('\n').map((l) => JSON.parse(l) as ServerMessage)]),
    close: (id) => closed.add(id),
  };
  const store = new Store(':memory:');
  const hasher = new HeldHasher(FAST_SCRYPT);
  const accounts = new Accounts(store, hasher, { mode: 'optional', blockDurationS: 60, clock: () => now });
  const hub = new Hub(out, { clock: () => now, store, accounts, ratePerSecond: 0, ...o });
  const take = (id: number) => {
    const f = sent.get(id) ?? [];
    sent.set(id, []);
    return f;
  };
  const say = (id: number, obj: object) => hub.receive(id, JSON.stringify(obj));
  return { hub, store, hasher, take, say, closed, advance: (ms: number) => (now += ms) };
}

describe('Hub with accounts', () => {
  it('keeps the room flowing while a password is being checked, then continues the login', async () => {
    const t = setup();
    t.store.addUser('alice', 'alice', await new PasswordHasher(FAST_SCRYPT).hash('correct horse'), 0);
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'bob', version: 1 });
    t.hub.connect(2, '127.0.0.1', 2);
    t.say(2, { type: 'hello', name: 'alice', version: 1, password: 'correct horse', ref: 'hello' });
    t.say(2, { type: 'hello', name: 'alice', version: 1, password: 'again', ref: 'again' });
    expect(t.take(2)).toEqual([]); // held until the first hello is answered
    t.say(1, { type: 'say', text: 'meanwhile', ref: 'm' });
    expect(t.take(1).map((f) => f.type)).toEqual(['welcome', 'message']);
    expect(t.hub.users()).toEqual(['bob']);

    t.hasher.held.shift()!();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.take(2)).toMatchObject([
      { type: 'welcome', name: 'alice', account: true },
      { type: 'message', text: 'meanwhile', history: true },
      { type: 'error', code: 'already_registered', ref: 'again' },
    ]);
    expect(t.take(1)).toMatchObject([{ type: 'joined', name: 'alice' }]);
  });

  it('drops a finished login whose connection went away meanwhile', async () => {
    const t = setup();
    t.store.addUser('alice', 'alice', await new PasswordHasher(FAST_SCRYPT).hash('correct horse'), 0);
    t.hub.connect(2, '127.0.0.1', 2);
    t.say(2, { type: 'hello', name: 'alice', version: 1, password: 'correct horse' });
    t.hub.disconnect(2, 'lost');
    t.hasher.held.shift()!();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.hub.users()).toEqual([]);
  });

  it('logs out the idle on tick with a notice and a timeout left notice; pings do not count as activity', () => {
    const t = setup({ idleTimeoutMs: 60_000, pingIntervalMs: 1e9 });
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'idle', version: 1 });
    t.hub.connect(2, '127.0.0.1', 2);
    t.say(2, { type: 'hello', name: 'busy', version: 1 });
    t.take(1);
    t.take(2);
    t.advance(30_000);
    t.say(2, { type: 'list' });
    t.say(1, { type: 'ping' });
    t.advance(30_000);
    t.hub.tick();
    expect(t.take(1)).toMatchObject([{ type: 'pong' }, { type: 'error', code: 'idle_timeout', message: 'logged out after 60 s without activity; reconnect to come back' }]);
    expect(t.closed.has(1)).toBe(true);
    expect(t.take(2)).toMatchObject([{ type: 'users' }, { type: 'left', name: 'idle', reason: 'timeout', message: 'idle' }]);
    expect(t.closed.has(2)).toBe(false);
  });

  it('a registered user cannot rename away from the account; a change of case is fine', async () => {
    const t = setup();
    t.store.addUser('alice', 'alice', await new PasswordHasher(FAST_SCRYPT).hash('correct horse'), 0);
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'alice', version: 1, password: 'correct horse' });
    t.hasher.held.shift()!();
    await new Promise((r) => setTimeout(r, 50));
    t.take(1);
    t.say(1, { type: 'nick', name: 'mallory', ref: 'n' });
    expect(t.take(1)).toMatchObject([{ type: 'error', code: 'name_registered', ref: 'n' }]);
    t.say(1, { type: 'nick', name: 'Alice', ref: 'n2' });
    expect(t.take(1)).toMatchObject([{ type: 'renamed', new: 'Alice', ref: 'n2' }]);
  });
});
