import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../src/server/cluster/keys.js';
import { compareIds } from '../../../src/server/cluster/snapshot.js';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { serverProcess } from '../../helpers/cli.js';
import { welcomed } from '../../helpers/cluster.js';
import { RawClient } from '../../helpers/raw-client.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { replicaNode, type ReplicaNode } from '../../helpers/replica-node.js';
import { tcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

// The trimmed journal as people see it, with real parley-server processes on a real redis-server: a room's
// topic and ban, accounts and a block made before the journal was trimmed past them are there for a server
// started afterwards, and a server cut off from Redis while the journal was trimmed past it shows what
// changed meanwhile once it is back. The trimming is driven by one more node in this process with the bound
// lowered to 20 entries (a server's own bound is STATE_JOURNAL_MAX = 10,000).

type Node = Awaited<ReturnType<typeof serverProcess>>;
let redis: RedisServer;
let admin: Redis;
let proxy: TcpProxy;
const nodes: Node[] = [];
const clients: RawClient[] = [];
let keeper: ReplicaNode | undefined;

const ARGS = (url: string) => ['--redis', url, '--scrypt-n', '1024', '--no-rate-limit', '--max-per-ip', '0'];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.port, '127.0.0.1');
  proxy = await tcpProxy(redis.port);
  // Node 0 on Redis, node 1 through the proxy (to be cut off); a third is started later.
  nodes.push(...(await Promise.all([serverProcess(ARGS(redis.url), 20_000), serverProcess(ARGS(`redis://127.0.0.1:${proxy.port}/0`), 20_000)])));
}, 40_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await keeper?.stop();
  for (const n of nodes) {
    n.child.kill('SIGTERM');
    await n.exit;
  }
  await proxy.close();
  admin.disconnect();
  await redis.stop();
});

function hello(node: number, name: string, login: { password?: string; token?: string } = {}): Promise<RawClient> {
  return welcomed(nodes[node]!.port, name, login, clients);
}

async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The id of the newest journal entry whose change has `op` (and names `room`, if given). */
async function entryOf(op: string, room?: string): Promise<string> {
  const rows = (await admin.xrevrange(keys.state, '+', '-')) as [string, string[]][];
  for (const [id, fields] of rows) {
    const change = (JSON.parse(fields[fields.indexOf('e') + 1]!) as { change?: { op?: string; room?: string } }).change;
    if (change?.op === op && (room === undefined || change.room === room)) return id;
  }
  throw new Error(`no ${op} in the journal`);
}

/** The journal position a server reported in its last heartbeat (found by its port). */
async function reportedPosition(port: number): Promise<string> {
  for (const key of await admin.keys(`${keys.nodePrefix}*`)) {
    const info = JSON.parse((await admin.get(key)) ?? '{}') as { port?: number; journal?: string };
    if (info.port === port && info.journal !== undefined) return info.journal;
  }
  throw new Error(`no live server on port ${port} among ${JSON.stringify(await Promise.all((await admin.keys(`${keys.nodePrefix}*`)).map((k) => admin.get(k))))}`);
}

/**
 * Make changes on the keeper (a node with the journal's bound lowered to 20) until the journal has been
 * trimmed past `id`: the servers' own heartbeats (every 5 s) report how far they have applied, which
 * bounds each trim, so this takes a few heartbeats.
 */
async function trimPast(id: string): Promise<void> {
  keeper ??= await replicaNode('keeper', redis.port, { heartbeatMs: 200, journalMax: 20, snapshotIntervalMs: 0 });
  const deadline = Date.now() + 40_000;
  for (let i = 0; Date.now() < deadline; i++) {
    keeper.store.setLastSeen('rex', i);
    const first = ((await admin.xrange(keys.state, '-', '+', 'COUNT', 1)) as [string, string[]][])[0]?.[0];
    if (first !== undefined && compareIds(first, id) > 0) return;
    await pause(50);
  }
  throw new Error(`the journal was not trimmed past ${id} in 40 s`);
}

describe('servers and a trimmed journal', () => {
  it('a server started after the journal was trimmed past a room, its topic and ban, accounts and a block knows them all', async () => {
    const rex = await hello(0, 'rex');
    await register(rex, 'rex password 1');
    const bea = await hello(0, 'bea');
    const token = await register(bea, 'bea password 1');
    expect(await ask(rex, { type: 'join', room: '#keep' }, 'j')).toMatchObject({ type: 'room' });
    expect(await ask(bea, { type: 'join', room: '#keep' }, 'j')).toMatchObject({ type: 'room' });
    expect(await ask(rex, { type: 'topic', room: '#keep', text: 'kept across trims' }, 't')).toMatchObject({ type: 'topic' });
    await ask(rex, { type: 'ban', room: '#keep', name: 'bea' }, 'b');
    expect(await ask(rex, { type: 'block', name: 'bea' }, 'bl')).toMatchObject({ type: 'blocks', names: ['bea'] });
    rex.close();
    bea.close();
    await trimPast(await entryOf('addBlock'));
    nodes.push(await serverProcess(ARGS(redis.url), 20_000));
    const late = nodes.length - 1;
    const rex2 = await hello(late, 'rex', { password: 'rex password 1' });
    expect(rex2.all('welcome')[0]!.rooms).toEqual(['#lobby', '#keep']);
    expect(await rex2.next((m) => m.type === 'room' && m.room === '#keep', 5000)).toMatchObject({ topic: 'kept across trims', operators: ['rex'] });
    const bea2 = await hello(late, 'bea', { token });
    expect(await ask(bea2, { type: 'join', room: '#keep' }, 'j')).toMatchObject({ type: 'error', code: 'banned' });
    expect(await ask(bea2, { type: 'whisper', to: 'rex', text: 'still blocked?' }, 'w')).toMatchObject({ type: 'error', code: 'not_delivered' });
    rex2.close();
    bea2.close();
  }, 90_000);

  it('a server cut off from Redis while the journal was trimmed past it holds every change to its rooms made meanwhile when it is back', async () => {
    const rex = await hello(0, 'rex', { password: 'rex password 1' });
    const carl = await hello(1, 'carl');
    expect(await ask(carl, { type: 'join', room: '#keep' }, 'j')).toMatchObject({ type: 'room', topic: 'kept across trims' });
    const position = await reportedPosition(nodes[1]!.port);
    proxy.cut();
    // Node 1's presence lapses (NODE_TTL_MS, 15 s); then the others trim without it.
    const lapsed = Date.now() + 30_000;
    while ((await reportedPosition(nodes[1]!.port).then(() => true, () => false)) && Date.now() < lapsed) await pause(200);
    // Meanwhile every field of a room the reload carries changes: topic, lock, bans (one lifted, one new),
    // a mute, an operator, and a room is made. (An operator also comes by the room's `op` event, which this
    // server reads from the event stream when it is back; the rest come only by the reload.)
    const done = (m: ServerMessage) => expect(m.type, JSON.stringify(m)).not.toBe('error');
    done(await ask(rex, { type: 'topic', room: '#keep', text: 'changed while you were away' }, 't'));
    done(await ask(rex, { type: 'topic_lock', room: '#keep', locked: true }, 'l'));
    done(await ask(rex, { type: 'unban', room: '#keep', name: 'bea' }, 'u'));
    done(await ask(rex, { type: 'ban', room: '#keep', name: 'eve' }, 'b'));
    done(await ask(rex, { type: 'mute', room: '#keep', name: 'carl' }, 'm'));
    done(await ask(rex, { type: 'op', room: '#keep', name: 'bea' }, 'o'));
    done(await ask(rex, { type: 'join', room: '#fresh' }, 'jf'));
    done(await ask(rex, { type: 'topic', room: '#fresh', text: 'made while you were away' }, 'tf'));
    const last = ((await admin.xrevrange(keys.state, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]![0];
    await trimPast(last);
    expect(compareIds((await admin.hget(keys.snapshot, 'trimmed'))!, position)).toBeGreaterThan(0);
    proxy.restore();
    // Back: the topic set while it was away (its journal entry trimmed) reaches the room in its memory.
    let topic: ServerMessage | undefined;
    for (let i = 0; i < 100; i++) {
      topic = await ask(carl, { type: 'topic', room: '#keep' }, `t${i}`);
      if (topic.type === 'topic' && topic.topic === 'changed while you were away') break;
      await pause(200);
    }
    expect(topic).toMatchObject({ type: 'topic', topic: 'changed while you were away', by: 'rex' });
    // And the rest, as the people on that server meet it.
    expect.soft(await ask(carl, { type: 'topic', room: '#keep', text: 'mine now' }, 'tc')).toMatchObject({ type: 'error', code: 'topic_locked' });
    expect.soft(await ask(carl, { type: 'say', room: '#keep', text: 'can I speak?' }, 'sc')).toMatchObject({ type: 'error', code: 'muted' });
    const bea = await hello(1, 'bea', { password: 'bea password 1' });
    const room = await ask(bea, { type: 'join', room: '#keep' }, 'jb');
    expect.soft(room).toMatchObject({ type: 'room', topic: 'changed while you were away', locked: true });
    expect.soft(room.type === 'room' && [...room.operators].sort()).toEqual(['bea', 'rex']);
    const eve = await hello(1, 'eve');
    expect.soft(await ask(eve, { type: 'join', room: '#keep' }, 'je')).toMatchObject({ type: 'error', code: 'banned' });
    const rooms = await ask(carl, { type: 'rooms' }, 'r');
    expect.soft(rooms.type === 'rooms' && rooms.rooms.find((r) => r.room === '#fresh')).toMatchObject({ room: '#fresh', topic: 'made while you were away' });
    for (const c of [rex, carl, bea, eve]) c.close();
  }, 120_000);
});

async function register(c: RawClient, password: string): Promise<string> {
  const got = await ask(c, { type: 'register', password }, 'reg');
  if (got.type !== 'registered') throw new Error(`register: ${JSON.stringify(got)}`);
  return got.token;
}
