import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Accounts, type AuthResult } from '../../../src/server/accounts.js';
import type { ClusterBus } from '../../../src/server/cluster/bus.js';
import type { ReplicaStore, StateChange } from '../../../src/server/cluster/replica.js';
import { PasswordHasher } from '../../../src/server/passwords.js';
import { StoreError } from '../../../src/server/store.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { replicaNode } from '../../helpers/replica-node.js';
import { until } from '../../helpers/until.js';
import { FAST_SCRYPT } from '../helpers.js';

// Shared state in cluster mode: each node's replica (in-memory SQLite) applies the journal in Redis, so an
// account registered on one node logs in on another, a token issued on one resumes on another, blocks and
// offline whispers follow; a node that starts later replays everything; two nodes registering one name at
// once: exactly one wins; with Redis away a change is refused, not acknowledged.

let redis: RedisServer;
const stops: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await startRedis({ durable: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

interface Node {
  bus: ClusterBus;
  store: ReplicaStore;
  accounts: Accounts;
}

async function node(id: string): Promise<Node> {
  const { bus, store, stop } = await replicaNode(id, redis.port, { heartbeatMs: 200, ttlMs: 1000 });
  const accounts = new Accounts(store, new PasswordHasher(FAST_SCRYPT), {
    mode: 'optional',
    blockDurationS: 60,
    claim: (u) => bus.claimAccount(u.key, { op: 'addUser', ...u } satisfies StateChange),
  });
  stops.push(stop);
  return { bus, store, accounts };
}

describe('shared state across nodes', () => {
  it('an account, its token, blocks and offline whispers made on one node are there on the others, also on one that starts later', async () => {
    const a = await node('ra1');
    const b = await node('rb1');
    const reg = await a.accounts.register('Dora', 'correct horse');
    expect(reg.ok).toBe(true);
    await until(() => b.store.user('dora') !== undefined, 5000, 'account on b');
    const first = reg.ok ? reg.token : '';
    // Resuming rotates the token (issue 10): the one to use next is the one the resume returned.
    let token = first;
    await until(() => {
      const r = b.accounts.resume('dora', token) as AuthResult; // at once: these Accounts have no rotate arbiter
      if (r.ok) token = r.token;
      return r.ok;
    }, 5000, 'token on b');
    expect(await b.accounts.login('dora', 'correct horse')).toMatchObject({ ok: true, name: 'Dora' });
    a.store.addBlock('dora', 'eve', 'eve');
    a.store.addOffline('dora', { id: 77, from: 'bob', to: 'Dora', text: 'later', time: 5 });
    await until(() => b.store.blocks('dora').length === 1 && b.store.offlineFor('dora').length === 1, 5000, 'block and whisper on b');
    b.store.dropOffline('dora', 77);
    b.store.dropBlock('dora', 'eve');
    await until(() => a.store.offlineFor('dora').length === 0 && a.store.blocks('dora').length === 0, 5000, 'drops on a');
    // A node that starts now replays the journal: the same state.
    const c = await node('rc1');
    expect(c.store.user('dora')?.name).toBe('Dora');
    expect((await c.accounts.resume('Dora', first)).ok).toBe(false); // rotated on b, and c replayed that
    const onC = await c.accounts.resume('Dora', token);
    expect(onC.ok).toBe(true);
    token = onC.ok ? onC.token : '';
    expect(c.store.blocks('dora')).toEqual([]);
    expect(c.store.offlineFor('dora')).toEqual([]);
    // Ending the session on one node ends it everywhere.
    c.accounts.endSession(token);
    await until(() => a.store.sessionUser(token, Date.now()) === undefined && b.store.sessionUser(token, Date.now()) === undefined, 5000, 'session ended everywhere');
  });

  it('a rotation, /logout all and a password change on one node hold on the others (issue 10)', async () => {
    const a = await node('ra4');
    const b = await node('rb4');
    const reg = await a.accounts.register('Erin', 'correct horse');
    const laptop = reg.ok ? reg.token : '';
    const phone = await a.accounts.login('erin', 'correct horse', '10.0.0.2');
    const tablet = await a.accounts.login('erin', 'correct horse', '10.0.0.3');
    if (!phone.ok || !tablet.ok) throw new Error('login failed');
    await until(() => b.store.sessionsOf('erin', Date.now()).length === 3, 5000, 'three sessions on b');
    expect(b.accounts.sessions('erin', undefined).map((x) => x.from).sort()).toEqual(['10.0.0.2', '10.0.0.3', 'local']);
    const rotated = await b.accounts.resume('erin', laptop, '10.0.0.9');
    if (!rotated.ok) throw new Error('resume failed');
    await until(() => a.store.sessionUser(laptop, Date.now()) === undefined && a.store.sessionUser(rotated.token, Date.now()) === 'erin', 5000, 'rotation on a');
    expect((await a.accounts.resume('erin', laptop)).ok).toBe(false);
    // /logout all on a, from the phone: on b only the phone's session is left.
    expect(a.accounts.endOtherSessions('erin', phone.token)).toBe(2);
    await until(() => b.store.sessionsOf('erin', Date.now()).length === 1, 5000, 'logout all on b');
    expect(b.accounts.sessions('erin', phone.token)).toMatchObject([{ current: true, from: '10.0.0.2' }]);
    // A password change on b ends every token, on a too, and a's logins need the new password.
    const changed = await b.accounts.changeOwnPassword('erin', 'correct horse', 'battery staple', '10.0.0.2');
    expect(changed).toMatchObject({ ok: true, ended: 1 });
    await until(() => a.store.sessionUser(phone.token, Date.now()) === undefined && a.store.sessionsOf('erin', Date.now()).length === 1, 5000, 'password change on a');
    expect(await a.accounts.login('erin', 'battery staple')).toMatchObject({ ok: true });
  });

  it('lets exactly one of two nodes register a name they race for', async () => {
    const a = await node('ra2');
    const b = await node('rb2');
    for (let i = 0; i < 10; i++) {
      const [ra, rb] = await Promise.all([a.accounts.register(`race${i}`, 'password one'), b.accounts.register(`RACE${i}`, 'password two')]);
      expect([ra.ok, rb.ok].filter(Boolean), `race${i}`).toHaveLength(1);
      const loser = ra.ok ? rb : ra;
      expect(loser).toMatchObject({ ok: false, code: 'name_registered' });
      const winnerPassword = ra.ok ? 'password one' : 'password two';
      await until(() => a.store.user(`race${i}`) !== undefined && b.store.user(`race${i}`) !== undefined, 5000, 'account on both');
      expect((await a.accounts.login(`race${i}`, winnerPassword)).ok).toBe(true);
      expect((await b.accounts.login(`race${i}`, winnerPassword)).ok).toBe(true);
    }
  });

  it('refuses a change while Redis is away, and takes changes again when it is back', async () => {
    const a = await node('ra3');
    const reg = await a.accounts.register('frank', 'correct horse');
    expect(reg.ok).toBe(true);
    await redis.stop();
    try {
      await until(() => !a.bus.up, 5000, 'link down');
      expect(() => a.store.addBlock('frank', 'eve', 'eve')).toThrow(StoreError);
      expect(() => a.store.addBlock('frank', 'eve', 'eve')).toThrow(/unreachable/);
      expect(a.store.blocks('frank')).toEqual([]); // not applied locally either
      await expect(a.accounts.register('gina', 'correct horse')).rejects.toThrow();
      // Reads go on.
      expect(a.store.user('frank')?.name).toBe('frank');
    } finally {
      await redis.restart();
    }
    await until(() => a.bus.up, 10_000, 'link up');
    a.store.addBlock('frank', 'eve', 'eve');
    const b = await node('rb3');
    expect(b.store.blocks('frank')).toEqual([{ key: 'eve', name: 'eve' }]);
  });
});
