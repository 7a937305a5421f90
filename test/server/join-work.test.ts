import { describe, expect, it } from 'vitest';
import { Accounts } from '../../src/server/accounts.js';
import { Hub, type Outbox } from '../../src/server/hub.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { FAST_SCRYPT } from './helpers.js';

// What one hello costs the core (issue 15, target 6: 1,000 clients joined in under a second), counted and
// never timed: database statements. The answers a client sees stay as they were.

function setup() {
  const frames = new Map<number, ServerMessage[]>();
  const out: Outbox = {
    send: (id, frame) => frames.set(id, [...(frames.get(id) ?? []), ...frame.toString().trim().split('\n').map((l) => JSON.parse(l) as ServerMessage)]),
    close: () => {},
  };
  const store = new Store(':memory:');
  const accounts = new Accounts(store, new PasswordHasher(FAST_SCRYPT), { mode: 'optional', blockDurationS: 60 });
  const hub = new Hub(out, { store, accounts, ratePerSecond: 0, maxConnectionsPerIp: 0, groupNotices: true });
  let next = 1;
  const hello = (name: string): ServerMessage[] => {
    const id = next++;
    hub.connect(id, '127.0.0.1', id);
    hub.receive(id, JSON.stringify({ type: 'hello', name, version: 2, grouped: true, usersOnce: true }));
    return frames.get(id) ?? [];
  };
  return { hub, store, hello };
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
