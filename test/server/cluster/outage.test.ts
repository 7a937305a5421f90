import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { joinCluster } from '../../../src/server/cluster/node.js';
import { Hub } from '../../../src/server/hub.js';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { serverProcess } from '../../helpers/cli.js';
import { FakeOutbox } from '../../helpers/fake-outbox.js';
import { RawClient } from '../../helpers/raw-client.js';
import { startRedis } from '../../helpers/redis.js';
import { until } from '../../helpers/until.js';

// Room lines while Redis is away, with a real redis-server:
// - a line said while a server has no Redis cannot be put in the cluster's one order (a number of its own
//   could fall below numbers Redis already gave, and a client's hello.last would skip it): it is refused
//   with a clear error, never acknowledged and then skipped;
// - lines held while Redis does not answer, past what a server keeps, are dropped: each sender is told,
//   and nothing of them stays in the server's memory.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

/** A client on `port` welcomed as `name` (version 2), or the error it got instead. */
async function helloOn(port: number, name: string, extra: Record<string, unknown> = {}): Promise<{ c: RawClient; answer: ServerMessage }> {
  const c = await RawClient.connect(port);
  cleanups.push(() => c.close());
  c.send({ type: 'hello', name, version: 2, ...extra });
  return { c, answer: await c.next((m) => m.type === 'welcome' || m.type === 'error', 10_000) };
}

/** Say hello as PREFIX0, PREFIX1… on `port` every 100 ms until the server answers with `type` (it has noticed Redis go or come). */
async function untilHelloAnswered(port: number, prefix: string, type: 'welcome' | 'error'): Promise<void> {
  for (let i = 0; ; i++) {
    const { c, answer } = await helloOn(port, `${prefix}${i}`);
    c.close();
    if (answer.type === type) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('room lines while Redis is away', () => {
  it('a line said while Redis is away is refused, so a client that had everything up to a line never misses one acknowledged after it', async () => {
    const redis = await startRedis({ durable: true });
    cleanups.push(() => redis.stop());
    const node = await serverProcess(['--redis', redis.url, '--no-rate-limit'], 20_000);
    cleanups.push(async () => {
      node.child.kill('SIGKILL');
      await node.exit;
    });
    const { c: ann } = await helloOn(node.port, 'ann');
    const one = await ask(ann, { type: 'say', text: 'one' }, 's1');
    const two = await ask(ann, { type: 'say', text: 'two' }, 's2');
    expect(one).toMatchObject({ type: 'message', text: 'one' });
    expect(two).toMatchObject({ type: 'message', text: 'two' });
    await redis.stop();
    // The server has noticed once a new name is refused (names need Redis).
    await untilHelloAnswered(node.port, 'probe', 'error');
    const three = await ask(ann, { type: 'say', text: 'three' }, 's3');
    await redis.restart();
    await untilHelloAnswered(node.port, 'back', 'welcome');
    const four = await ask(ann, { type: 'say', text: 'four' }, 's4');
    expect(four).toMatchObject({ type: 'message', text: 'four' });
    // bob had everything up to "two": his replay holds every line acknowledged after it.
    const acknowledged = [three, four].flatMap((m) => (m.type === 'message' ? [m.text] : []));
    const { c: bob } = await helloOn(node.port, 'bob', { last: [{ room: '#lobby', id: two.type === 'message' ? two.id : 0 }] });
    await bob.next((m) => m.type === 'message' && m.text === 'four', 10_000);
    const replayed = bob.all('message').map((m) => (m.type === 'message' ? m.text : ''));
    expect(replayed.concat('four')).toEqual(expect.arrayContaining(acknowledged));
    expect(three).toMatchObject({ type: 'error', code: 'server_error', re: 'say' });
    expect(three.type === 'error' && three.message).toMatch(/Redis is unreachable/);
  }, 90_000);

  it('lines held past what a server keeps while Redis does not answer: their senders are told, and nothing of them stays in memory', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const admin = new Redis(redis.port, '127.0.0.1');
    cleanups.push(() => admin.disconnect());
    const membership = await joinCluster(redis.url, { host: '127.0.0.1', port: 1, maxPending: 2 });
    cleanups.push(() => membership.node.stop());
    const out = new FakeOutbox();
    const hub = new Hub(out, { store: membership.store, peers: membership.node, ratePerSecond: 0, historySize: 0 });
    membership.node.attach(hub, '127.0.0.1', 1);
    hub.connect(1, '10.0.0.1', 1);
    hub.receive(1, JSON.stringify({ type: 'hello', name: 'ann', version: 2 }));
    const seen: ServerMessage[] = [];
    const frames = (): ServerMessage[] => (seen.push(...out.take(1)), seen);
    await until(() => frames().some((m) => m.type === 'welcome'), 10_000, 'welcome');
    // Redis takes no writes for 8 s: each line's batch times out (REDIS_COMMAND_TIMEOUT_MS, 5 s) and is
    // kept; past two kept, the oldest are dropped.
    await admin.call('CLIENT', 'PAUSE', '8000', 'WRITE');
    for (let i = 1; i <= 4; i++) {
      hub.receive(1, JSON.stringify({ type: 'say', text: `line ${i}`, ref: `r${i}` }));
      await new Promise((r) => setImmediate(r));
    }
    await until(() => frames().filter((m) => m.type === 'error').length >= 2, 15_000, 'senders told');
    const errors = frames().filter((m) => m.type === 'error');
    expect(errors).toEqual([
      expect.objectContaining({ code: 'server_error', re: 'say', ref: 'r1' }),
      expect.objectContaining({ code: 'server_error', re: 'say', ref: 'r2' }),
    ]);
    // Redis takes writes again: the lines held are sent; each line is shown once (a batch that reached Redis
    // before it timed out here is numbered twice, and the copy dropped), and no line waits any more.
    await until(() => [1, 2, 3, 4].every((i) => frames().some((m) => m.type === 'message' && m.text === `line ${i}`)), 20_000, 'lines shown');
    await new Promise((r) => setTimeout(r, 500));
    const texts = frames().flatMap((m) => (m.type === 'message' ? [m.text] : []));
    expect(texts.filter((t) => t.startsWith('line ')).sort()).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
    expect(membership.node.sequencingCount).toBe(0);
  }, 60_000);
});
