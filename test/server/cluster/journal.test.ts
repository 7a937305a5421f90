import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../src/server/cluster/keys.js';
import { heartbeat } from '../../../src/server/cluster/presence.js';
import type { ReplicaStore, StateChange } from '../../../src/server/cluster/replica.js';
import { compareIds, keepJournal } from '../../../src/server/cluster/snapshot.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { replicaNode, type ReplicaNode } from '../../helpers/replica-node.js';
import { tcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { until } from '../../helpers/until.js';

// The journal of shared state (`parley:state`) is kept short: a node snapshots its replica into Redis and the
// journal is trimmed behind the snapshot and every live node's position. Counted here with a real redis-server:
// the journal's length stays bounded under many changes from two nodes; a node started after trims, and a
// node cut off from Redis across trims, end with exactly the state of the nodes that made the changes.

const JOURNAL_MAX = 40;

let redis: RedisServer;
let admin: Redis;
const stops: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.port, '127.0.0.1');
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await admin.flushdb();
});

type Node = ReplicaNode;

/**
 * For a node whose link a test cuts or holds: it never snapshots or trims, so no round of its own, cut off
 * between taking the lock and letting go of it, holds the lock (STATE_KEEPER_LOCK_MS, 60 s) and stops the others'.
 */
const LEAVES_KEEPING = { journalMax: Number.MAX_SAFE_INTEGER };

/** A node as the servers wire their bus and replica, on `port` (a proxy's, or Redis's); stopped after the test. */
async function node(id: string, port = redis.port, extra: { ttlMs?: number; journalMax?: number } = {}): Promise<Node> {
  const n = await replicaNode(id, port, { heartbeatMs: 100, ttlMs: 3000, journalMax: JOURNAL_MAX, snapshotIntervalMs: 0, ...extra });
  stops.push(() => n.stop());
  return n;
}

/** The shared tables, each table's rows sorted: equal for two replicas that hold the same state. */
function shared(store: ReplicaStore): Record<string, string[]> {
  const { tables } = JSON.parse(store.dumpShared()) as { tables: Record<string, unknown[]> };
  return Object.fromEntries(Object.entries(tables).map(([t, rows]) => [t, rows.map((r) => JSON.stringify(r)).sort()]));
}

/** Create room `name` as a node does: the script journals it, the replica applies it when Redis answers. */
async function createRoom(n: Node, name: string): Promise<void> {
  const change: StateChange = { op: 'addRoom', key: name.toLowerCase(), name, created: 1 };
  await n.bus.createRoom(change.key, name, change);
  n.store.apply(change);
}

/** Changes of every kind, `round` naming them: accounts, rooms and their state, blocks, offline whispers, last-seen times. */
async function changes(n: Node, round: number): Promise<void> {
  const user = `${n.id}u${round}`;
  n.store.addUser(user, user, 'hash', round);
  if (round % 5 === 1) await createRoom(n, `#${n.id}r${round}`);
  const room = `#${n.id}r${round - ((round - 1) % 5)}`;
  n.store.setTopic(room, `topic ${round}`, user, round);
  n.store.addOperator(room, user, user);
  if (round % 3 === 0) n.store.addBan(room, { key: `bad${round}`, name: `bad${round}`, by: user });
  n.store.addBlock(user, 'spammer', 'spammer');
  if (round % 4 === 0) n.store.dropBlock(`${n.id}u${round - 1}`, 'spammer');
  n.store.addOffline(user, { id: round * 1000 + n.id.charCodeAt(1), from: 'x', to: user, text: `hello ${round}`, time: round });
  for (let i = 0; i < 3; i++) n.store.setLastSeen(user, round * 10 + i);
  if (round % 7 === 0) n.store.setAdmin(user, true);
}

describe('the journal of shared state is trimmed behind a snapshot', () => {
  it('stays bounded under many changes from two nodes, and a node started after the trims holds everything', async () => {
    const a = await node('ja');
    const b = await node('jb');
    let longest = 0;
    const total = { entries: 0 };
    for (let round = 1; round <= 60; round++) {
      await Promise.all([changes(a, round), changes(b, round)]);
      longest = Math.max(longest, await admin.xlen(keys.state));
      // Paced like people: a round each 20 ms, so heartbeats (every 100 ms) come between.
      await new Promise((r) => setTimeout(r, 20));
    }
    // Every entry ever appended (Redis 7 counts them in XINFO STREAM's entries-added).
    const info = (await admin.call('XINFO', 'STREAM', keys.state)) as unknown[];
    total.entries = Number(info[info.indexOf('entries-added') + 1]);
    await until(() => JSON.stringify(shared(a.store)) === JSON.stringify(shared(b.store)), 5000, 'a and b agree');
    // The journal was trimmed while the changes went on, not only at the end.
    expect(longest).toBeLessThan(total.entries / 2);
    const trimmed = await admin.hget(keys.snapshot, 'trimmed');
    expect(trimmed).not.toBeNull();
    let length = Infinity;
    const deadline = Date.now() + 5000;
    while (length > JOURNAL_MAX && Date.now() < deadline) {
      length = await admin.xlen(keys.state);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(length).toBeLessThanOrEqual(JOURNAL_MAX);
    process.stdout.write(`journal: ${JSON.stringify({ bound: JOURNAL_MAX, changes: total.entries, longest, final: length })}\n`);
    // A node started now loads the snapshot and the journal after it: the same state as the two that made it.
    const c = await node('jc');
    expect(c.loads).toBe(1);
    expect(shared(c.store)).toEqual(shared(a.store));
    expect(c.store.user('jau60')?.name).toBe('jau60');
    const room = c.store.rooms().find((r) => r.key === '#jbr56');
    expect(room).toMatchObject({ name: '#jbr56', topic: 'topic 60', topicBy: 'jbu60' });
    expect(room?.operators.map((o) => o.key).sort()).toEqual(['jbu56', 'jbu57', 'jbu58', 'jbu59', 'jbu60']);
    expect(room?.bans.map((x) => x.key)).toEqual(['bad57', 'bad60']);
    expect(c.store.blocks('jau60')).toEqual([{ key: 'spammer', name: 'spammer' }]);
    expect(c.store.blocks('jau59')).toEqual([]); // dropped in round 60
    expect(c.store.offlineFor('jbu42').map((w) => w.text)).toEqual(['hello 42']);
    expect(c.store.isAdmin('jau56')).toBe(true);
  });

  it('never trims past the position a live node reported while it is behind, and that node reads on without a reload', async () => {
    const proxy: TcpProxy = await tcpProxy(redis.port);
    stops.push(() => proxy.close());
    const a = await node('ka');
    // b's presence lives 15 s: it stays alive all the while its commands are held below.
    const b = await node('kb', proxy.port, { ...LEAVES_KEEPING, ttlMs: 15_000 });
    // Past the bound once, so that a snapshot exists and the next rounds may trim.
    let round = 1;
    for (; round <= 300 && (await admin.hget(keys.snapshot, 'pos')) === null; round++) await changes(a, round);
    await until(() => JSON.stringify(shared(a.store)) === JSON.stringify(shared(b.store)), 5000, 'b caught up');
    await reportsEnd('kb');
    // b falls behind while alive: its commands wait in the proxy (its next XREAD and its heartbeats), so its
    // reported position stays where it was while a goes on changing things and trimming.
    proxy.hold();
    await new Promise((r) => setTimeout(r, 300)); // a heartbeat already on its way lands
    const held = await reported('kb');
    let trimmed: string | null = null;
    for (let n = 0; n < 300 && trimmed !== held; n++, round++) {
      await changes(a, round);
      trimmed = await admin.hget(keys.snapshot, 'trimmed');
      if (trimmed !== null) expect(compareIds(trimmed, held), `trimmed to ${trimmed}, past ${held}`).toBeLessThanOrEqual(0);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Trimmed as far as b's position (so the rule was at work), and no further while a goes on.
    expect(trimmed).toBe(held);
    const more = Date.now() + 1000;
    for (; Date.now() < more; round++) {
      await changes(a, round);
      const now = (await admin.hget(keys.snapshot, 'trimmed'))!;
      expect(compareIds(now, held), `trimmed to ${now}, past ${held}`).toBeLessThanOrEqual(0);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await admin.xrange(keys.state, '-', '+', 'COUNT', 1))[0]![0]).toBe(held);
    expect(await admin.xlen(keys.state)).toBeGreaterThan(JOURNAL_MAX);
    expect(await reported('kb')).toBe(held); // b was behind all along, and alive
    proxy.release();
    // b reads everything after its position from the journal: nothing it needed was trimmed.
    await until(() => JSON.stringify(shared(a.store)) === JSON.stringify(shared(b.store)), 10_000, 'b caught up again');
    expect(b.loads).toBe(0);
    expect(b.log.filter((l) => l.event === 'journal_reload')).toEqual([]);
  });

  it('a node cut off from Redis while the journal is trimmed past it reloads the snapshot and catches up', async () => {
    const proxy: TcpProxy = await tcpProxy(redis.port);
    stops.push(() => proxy.close());
    const a = await node('la');
    const b = await node('lb', proxy.port, LEAVES_KEEPING);
    for (let round = 1; round <= 5; round++) await changes(a, round);
    await until(() => JSON.stringify(shared(a.store)) === JSON.stringify(shared(b.store)), 5000, 'b caught up');
    // Its heartbeat may lag its reader: a trim past the position reported but not past the one read to needs no reload.
    const position = await reportsEnd('lb');
    proxy.cut();
    // b's presence lapses (ttl 3 s); the others then trim without it.
    await until(() => !b.bus.up, 5000, 'b lost Redis');
    const lapsed = Date.now() + 10_000;
    while ((await admin.exists(keys.node('lb'))) === 1 && Date.now() < lapsed) await new Promise((r) => setTimeout(r, 50));
    let round = 6;
    for (; round <= 200; round++) {
      await changes(a, round);
      const trimmed = await admin.hget(keys.snapshot, 'trimmed');
      if (trimmed !== null && compareIds(trimmed, position) > 0 && round % 10 === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(compareIds((await admin.hget(keys.snapshot, 'trimmed'))!, position)).toBeGreaterThan(0);
    // What b missed is gone from the journal: reading on from its position would skip it.
    const first = (await admin.xrange(keys.state, '-', '+', 'COUNT', 1))[0]![0];
    expect(compareIds(first, position)).toBeGreaterThan(0);
    proxy.restore();
    await until(() => JSON.stringify(shared(a.store)) === JSON.stringify(shared(b.store)), 10_000, 'b caught up after the outage');
    expect(b.loads).toBe(1);
    expect(b.log.some((l) => l.event === 'journal_reload')).toBe(true);
    expect(b.store.user(`lau${round}`)?.name).toBe(`lau${round}`);
    // And b goes on following the journal after the reload.
    await changes(a, round + 1);
    await until(() => b.store.user(`lau${round + 1}`) !== undefined, 5000, 'b follows on');
  });

  it('never trims while a server of a version before the trim is up (its presence has no journal position), and trims once it is gone', async () => {
    // Such a server reads the journal from its first entry at start: trimmed, it would start without the
    // state made before the trim and not know it.
    const a = await node('oa');
    // Its heartbeat, as it wrote it: the NodeInfo of that version had no `journal` field.
    await heartbeat(admin, { id: 'old', host: '127.0.0.1', port: 2, pid: 1, started: Date.now(), beat: Date.now(), users: 0 }, new Map(), 60_000);
    const snapshotPos = () => admin.hget(keys.snapshot, 'pos');
    // Until a second snapshot is written: the round that wrote it had one before it, so it got as far as trimming.
    let round = 1;
    let first: string | null = null;
    for (; round <= 300; round++) {
      await changes(a, round);
      const pos = await snapshotPos();
      first ??= pos;
      if (first !== null && pos !== null && compareIds(pos, first) > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(compareIds((await snapshotPos())!, first!)).toBeGreaterThan(0);
    expect(await admin.hget(keys.snapshot, 'trimmed')).toBeNull();
    expect(await admin.xlen(keys.state)).toBeGreaterThan(JOURNAL_MAX);
    // The old server stops: its presence goes, and the journal is trimmed.
    await admin.del(keys.node('old'));
    for (round++; round <= 600 && (await admin.hget(keys.snapshot, 'trimmed')) === null; round++) {
      await changes(a, round);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await admin.hget(keys.snapshot, 'trimmed')).not.toBeNull();
  });

  it('a live node whose heartbeats stalled while its reader was behind notices the trim it read across, and reloads', async () => {
    const proxy: TcpProxy = await tcpProxy(redis.port);
    stops.push(() => proxy.close());
    const a = await node('ma');
    const b = await node('mb', proxy.port, LEAVES_KEEPING);
    for (let round = 1; round <= 5; round++) await changes(a, round);
    await until(() => JSON.stringify(shared(a.store)) === JSON.stringify(shared(b.store)), 5000, 'b caught up');
    // b's commands wait in the proxy: its heartbeat stalls and its next XREAD is sent only on release, so b
    // stays connected (no link down) and behind, and its presence lapses while it waits.
    proxy.hold();
    a.store.setHash('mau1', 'changed meanwhile');
    const missed = (await lastEntry())!;
    const lapsed = Date.now() + 10_000;
    while ((await admin.exists(keys.node('mb'))) === 1 && Date.now() < lapsed) await new Promise((r) => setTimeout(r, 50));
    expect(await admin.exists(keys.node('mb'))).toBe(0);
    let round = 6;
    for (; round <= 300; round++) {
      await changes(a, round);
      const trimmed = await admin.hget(keys.snapshot, 'trimmed');
      if (trimmed !== null && compareIds(trimmed, missed) > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(compareIds((await admin.hget(keys.snapshot, 'trimmed'))!, missed)).toBeGreaterThan(0);
    proxy.release();
    await until(() => JSON.stringify(shared(a.store)) === JSON.stringify(shared(b.store)), 15_000, 'b holds what a holds');
    expect(b.store.user('mau1')?.hash).toBe('changed meanwhile');
    expect(b.loads).toBe(1);
  });
});

describe('one round of snapshot and trim at a time, and only forward', () => {
  it('counts the journal as it is now (XLEN, exact): no round at the bound, one past it, none once a trim brought it back', async () => {
    const ids: string[] = [];
    const append = async (n: number) => {
      for (let i = 0; i < n; i++) ids.push((await admin.xadd(keys.state, '*', 'e', JSON.stringify({ node: 'x', kind: 'state', change: { i: ids.length } })))!);
    };
    const round = () => keepJournal({ redis: admin, node: 'k', now: Date.now(), maxEntries: 5, minIntervalMs: 0, capture: async () => ({ pos: ids.at(-1)!, data: '{}' }) });
    await append(5);
    expect(await round()).toBeUndefined();
    expect(await admin.exists(keys.snapshot)).toBe(0);
    await append(1);
    expect(await round()).toEqual({ snapshot: ids[5] });
    await append(4);
    expect(await round()).toEqual({ snapshot: ids[9], trimmed: ids[5] });
    // 10 entries were ever added (XINFO's entries-added), 5 are left: at the bound, so nothing is done.
    expect(await admin.xlen(keys.state)).toBe(5);
    expect(await round()).toBeUndefined();
    expect(await admin.hmget(keys.snapshot, 'pos', 'trimmed')).toEqual([ids[9], ids[5]]);
  });

  it('a round that stalled past its lock while others moved on writes nothing, and leaves the lock of another alone', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await admin.xadd(keys.state, '*', 'e', JSON.stringify({ node: 'x', kind: 'state', change: { i } })))!);
    const round = (node: string, pos: string, capture = async () => ({ pos, data: `{"at":"${pos}"}` })) =>
      keepJournal({ redis: admin, node, now: Date.now(), maxEntries: 5, minIntervalMs: 0, capture });
    expect(await round('first', ids[10]!)).toEqual({ snapshot: ids[10] });
    // The stalled round takes the lock and reads the snapshot before any other round.
    let resume!: () => void;
    let captured!: () => void;
    const capturing = new Promise<void>((r) => (captured = r));
    const stalled = round('stalled', ids[20]!, async () => {
      captured();
      await new Promise<void>((r) => (resume = r));
      return { pos: ids[20]!, data: '{"at":"old"}' };
    });
    await capturing;
    // Its lock lapses (deleted here as its TTL would end it); two rounds of another node move on.
    await admin.del(keys.snapshotLock);
    expect(await round('next', ids[50]!)).toEqual({ snapshot: ids[50], trimmed: ids[10] });
    expect(await round('next', ids[60]!)).toEqual({ snapshot: ids[60], trimmed: ids[50] });
    await admin.set(keys.snapshotLock, 'another');
    resume();
    await stalled;
    expect(await admin.hmget(keys.snapshot, 'pos', 'trimmed', 'data')).toEqual([ids[60], ids[50], `{"at":"${ids[60]}"}`]);
    expect(await admin.get(keys.snapshotLock)).toBe('another');
    expect((await admin.xrange(keys.state, '-', '+', 'COUNT', 1))[0]![0]).toBe(ids[50]);
  });
});

/** The journal position node `id` reported in its last heartbeat (its presence must be alive). */
async function reported(id: string): Promise<string> {
  const raw = await admin.get(keys.node(id));
  if (raw === null) throw new Error(`${id} is not alive`);
  return (JSON.parse(raw) as { journal: string }).journal;
}

/** Wait until node `id` reports the journal's newest entry as its position (it has applied everything); that position. */
async function reportsEnd(id: string): Promise<string> {
  const end = (await lastEntry())!;
  for (const deadline = Date.now() + 5000; (await reported(id)) !== end && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  expect(await reported(id)).toBe(end);
  return end;
}

/** The id of the journal's newest entry. */
async function lastEntry(): Promise<string | undefined> {
  return (await admin.xrevrange(keys.state, '+', '-', 'COUNT', 1))[0]?.[0];
}
