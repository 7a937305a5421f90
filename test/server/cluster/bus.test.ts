import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterBus, type BusEvent, type BusHandlers } from '../../../src/server/cluster/bus.js';
import { parseRedisUrl } from '../../../src/server/cluster/redis.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { READER_CONNECTION } from '../../helpers/cluster.js';
import { tcpProxy } from '../../helpers/tcp-proxy.js';
import { until } from '../../helpers/until.js';

// The bus between nodes against a real redis-server: events published by one node reach the others in
// order, exactly once, also across a killed connection and a restart of Redis; presence lapses when a
// node is killed; a name raced by two nodes is won by exactly one; ids are unique across nodes.

let redis: RedisServer;
const buses: ClusterBus[] = [];

beforeAll(async () => {
  redis = await startRedis({ durable: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.stop()));
});

interface Probe extends BusHandlers {
  got: { event: BusEvent & Record<string, unknown>; stream: string }[];
  down: string[];
  links: string[];
  userMap: Map<string, string>;
}

function probe(users: string[] = []): Probe {
  const p: Probe = {
    got: [],
    down: [],
    links: [],
    userMap: new Map(users.map((u) => [u.toLowerCase(), u])),
    event: (event, stream) => p.got.push({ event: event as BusEvent & Record<string, unknown>, stream }),
    nodeDown: (node) => p.down.push(node),
    link: (state) => p.links.push(state),
    users: () => p.userMap,
  };
  return p;
}

async function node(id: string, handlers: BusHandlers, extra: { ttlMs?: number; heartbeatMs?: number; idBlock?: number } = {}, url = redis.url): Promise<ClusterBus> {
  const bus = new ClusterBus({ redis: parseRedisUrl(url), nodeId: id, host: '127.0.0.1', port: 7000, heartbeatMs: 200, ttlMs: 1000, ...extra });
  buses.push(bus);
  await bus.start(handlers);
  return bus;
}

const seqs = (p: Probe): number[] => p.got.filter((g) => g.event.kind === 'n').map((g) => g.event.seq as number);

describe('cluster bus', () => {
  it('delivers a room event to every other node, not back to its sender, and an inbox event to one node only', async () => {
    const pa = probe();
    const pb = probe();
    const pc = probe();
    const a = await node('a1', pa);
    await node('b1', pb);
    await node('c1', pc);
    await a.publish({ kind: 'say', text: 'hello' });
    await a.sendTo('b1', { kind: 'whisper', text: 'psst' });
    await until(() => pb.got.length === 2 && pc.got.length === 1, 5000, 'deliveries');
    expect(pb.got.map((g) => [g.stream, g.event.kind, g.event.node])).toEqual([
      ['room', 'say', 'a1'],
      ['inbox', 'whisper', 'a1'],
    ]);
    expect(pc.got.map((g) => g.event.kind)).toEqual(['say']);
    await new Promise((r) => setTimeout(r, 200));
    expect(pa.got).toEqual([]);
  });

  it('resumes from its last id after its reader connection is killed: every event once, in order', async () => {
    const pb = probe();
    const a = await node('a2', probe());
    await node('b2', pb);
    const admin = new Redis(redis.port, '127.0.0.1');
    let sent = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) await a.publish({ kind: 'n', seq: sent++ });
      // Cut the reader's connection between batches (CLIENT KILL), as a network fault would.
      let reader: RegExpExecArray | null = null;
      for (const end = Date.now() + 5000; reader === null && Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
        reader = /id=(\d+) .*name=parley:b2:read /.exec((await admin.client('LIST')) as string);
      }
      expect(reader, 'the reader reconnected').not.toBeNull();
      await admin.client('KILL', 'ID', reader![1]!);
    }
    admin.disconnect();
    await until(() => seqs(pb).length >= sent, 10_000, 'all events after kills');
    expect(seqs(pb)).toEqual([...Array(sent).keys()]);
  });

  it('resumes across a restart of Redis (append-only file) and reports the link down and up', async () => {
    const pb = probe();
    const pa = probe();
    const a = await node('a3', pa);
    await node('b3', pb);
    for (let i = 0; i < 30; i++) await a.publish({ kind: 'n', seq: i });
    await until(() => seqs(pb).length === 30, 5000, 'first batch');
    await redis.stop();
    await until(() => pa.links.includes('down'), 5000, 'link down');
    expect(a.up).toBe(false);
    // While Redis is away a publish fails at once instead of waiting in a queue.
    const started = Date.now();
    await expect(a.publish({ kind: 'n', seq: -1 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
    await redis.restart();
    await until(() => pa.links.at(-1) === 'up' && a.up, 10_000, 'link up');
    for (let i = 30; i < 60; i++) await a.publish({ kind: 'n', seq: i });
    await until(() => seqs(pb).length === 60, 10_000, 'second batch');
    expect(seqs(pb)).toEqual([...Array(60).keys()]);
  });

  it('sees a node killed with -9 as down once its presence lapses, and frees the names it held', async () => {
    const pb = probe();
    const b = await node('b4', pb);
    const script = path.resolve(import.meta.dirname, '../../helpers/bus-node.mjs');
    const child = spawn(process.execPath, [script, redis.url, 'doomed', '1000', '200', 'Zed', 'Yan'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('ready'), 10_000, 'child node ready');
    const users = await b.peerUsers();
    expect([...(users.get('doomed') ?? new Map()).values()].sort()).toEqual(['Yan', 'Zed']);
    // Held by a live node: taken.
    expect(await b.claim('zed', 5)).toEqual({ ok: false, holder: { node: 'doomed', conn: 1 } });
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until(() => pb.down.includes('doomed'), 5000, 'node down');
    const detectMs = Date.now() - killedAt;
    expect(detectMs).toBeLessThan(1000 + 2 * 200 + 500); // the TTL, a heartbeat, and slack for a busy machine
    expect((await b.peerUsers()).has('doomed')).toBe(false);
    // Held by a dead node: free, without any cleanup having run.
    expect(await b.claim('zed', 5)).toEqual({ ok: true, previous: { node: 'doomed', conn: 1 } });
  });

  it('lets exactly one of two nodes win each name they race for', async () => {
    const a = await node('a5', probe());
    const b = await node('b5', probe());
    const names = Array.from({ length: 200 }, (_, i) => `racer${i}`);
    const results = await Promise.all(names.flatMap((n, i) => [a.claim(n, i), b.claim(n, i)]));
    for (let i = 0; i < names.length; i++) {
      const wins = [results[2 * i]!, results[2 * i + 1]!].filter((r) => r.ok).length;
      expect(wins, names[i]).toBe(1);
    }
    // Released, a name is free for the other node; a forced claim (a proven login) takes a live name over.
    const heldByA = names.filter((_, i) => results[2 * i]!.ok);
    await a.release(heldByA[0]!, names.indexOf(heldByA[0]!));
    expect((await b.claim(heldByA[0]!, 99)).ok).toBe(true);
    expect(await b.claim(heldByA[1]!, 98, true)).toEqual({ ok: true, previous: { node: 'a5', conn: names.indexOf(heldByA[1]!) } });
  });

  it('hands out message ids unique across nodes, refilling its block', async () => {
    const a = await node('a6', probe(), { idBlock: 10 });
    const b = await node('b6', probe(), { idBlock: 10 });
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) {
      for (const bus of [a, b]) {
        ids.push(bus.nextId());
        await new Promise((r) => setTimeout(r, 3)); // lets a block fetched ahead arrive
      }
    }
    expect(new Set(ids).size).toBe(200);
  });

  /** A probe that also keeps the journal's changes (so the node reads `parley:state`). */
  function journaled(): Probe & { changes: unknown[] } {
    const p = Object.assign(probe(), { changes: [] as unknown[] });
    p.state = (change) => p.changes.push(change);
    return p;
  }

  it('caughtUp() resolves once the node has applied what another node journaled before it was called, and not before', async () => {
    // b reaches Redis through a proxy that can hold back its reader's answers: its replica lags on demand.
    const proxy = await tcpProxy(redis.port);
    try {
      const pb = journaled();
      const a = await node('a7', journaled());
      const b = await node('b7', pb, {}, `redis://127.0.0.1:${proxy.port}`);
      proxy.holdAnswers(READER_CONNECTION);
      expect(await a.claimAccount('newcomer', { op: 'addUser', key: 'newcomer' })).toBe(true);
      let caught = false;
      const waiting = b.caughtUp(10_000).then(() => (caught = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(caught).toBe(false);
      expect(pb.changes).toEqual([]);
      const released = Date.now();
      proxy.releaseAnswers();
      await waiting;
      expect(pb.changes).toEqual([{ op: 'addUser', key: 'newcomer' }]);
      // Let go when the reader has it, not when the wait ran out.
      expect(Date.now() - released).toBeLessThan(5000);
    } finally {
      await Promise.all(buses.splice(0).map((x) => x.stop()));
      await proxy.close();
    }
  });

  it('caughtUp() of many callers at once costs Redis one XREVRANGE per round trip, not one each', async () => {
    const b = await node('b9', journaled());
    const admin = new Redis(redis.port, '127.0.0.1');
    try {
      const calls = async (): Promise<number> => Number(/cmdstat_xrevrange:calls=(\d+)/.exec((await admin.info('commandstats')) as string)?.[1] ?? 0);
      const before = await calls();
      await Promise.all(Array.from({ length: 200 }, () => b.caughtUp(5000)));
      // One out when the first came, one after it for all the others.
      expect((await calls()) - before).toBeLessThanOrEqual(2);
    } finally {
      admin.disconnect();
    }
  });

  it('caughtUp() gives up after its wait when Redis does not answer, and at once when Redis is gone', async () => {
    const b = await node('b8', journaled());
    const admin = new Redis(redis.port, '127.0.0.1');
    try {
      // Every client waits, this one's next command too: the pause ends by itself.
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      let started = Date.now();
      await b.caughtUp(300);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(2000);
      await admin.ping();
      await redis.stop();
      await until(() => !b.up, 5000, 'link down');
      started = Date.now();
      await b.caughtUp(5000);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      admin.disconnect();
      await redis.restart();
    }
  });
});
