import { afterAll, beforeAll } from 'vitest';
import { serverProcess } from './cli.js';
import { RawClient } from './raw-client.js';
import { startRedis, type RedisServer } from './redis.js';

// A cluster for one test file: a real redis-server and `count` parley-server processes on it, started
// before the file's tests and stopped after them, with every client a test opens closed at the end.

/**
 * What a cluster server's journal reader sends first (ioredis's CLIENT SETNAME `parley:NODE:read`,
 * src/server/cluster/bus.ts): tcpProxy's holdAnswers(READER_CONNECTION) makes that server's replica lag.
 */
export const READER_CONNECTION = /parley:[0-9a-f]+:read\r\n/;

export type ClusterNodeProcess = Awaited<ReturnType<typeof serverProcess>>;

export interface ClusterFixture {
  readonly redis: RedisServer;
  readonly nodes: ClusterNodeProcess[];
  /** Clients to close when the file ends. */
  readonly clients: RawClient[];
  /** A client on node `node` that said hello as `name` (version 2 unless `extra` says) and was welcomed. */
  hello(node: number, name: string, extra?: Record<string, unknown>): Promise<RawClient>;
}

/** Registers beforeAll/afterAll; `args` are each server's options besides `--redis URL`. */
export function clusterFixture(count: number, args: string[] = ['--no-rate-limit']): ClusterFixture {
  const fixture = {
    redis: undefined as unknown as RedisServer,
    nodes: [] as ClusterNodeProcess[],
    clients: [] as RawClient[],
    hello(node: number, name: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
      return welcomed(fixture.nodes[node]!.port, name, extra, fixture.clients);
    },
  };
  beforeAll(async () => {
    fixture.redis = await startRedis();
    fixture.nodes.push(...(await Promise.all(Array.from({ length: count }, () => serverProcess(['--redis', fixture.redis.url, ...args], 20_000)))));
  }, 40_000);
  afterAll(async () => {
    for (const c of fixture.clients) c.close();
    for (const n of fixture.nodes) {
      n.child.kill('SIGTERM');
      await n.exit;
    }
    await fixture.redis?.stop();
  });
  return fixture;
}

/**
 * A client on `port` that said hello as `name` (version 2 unless `extra` says) and was welcomed; the welcome
 * is kept in its received frames. Added to `clients` (to close at the end). Throws with the answer otherwise.
 */
export async function welcomed(port: number, name: string, extra: Record<string, unknown>, clients: RawClient[]): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  c.send({ type: 'hello', name, version: 2, ...extra });
  const w = await c.next((m) => m.type === 'welcome' || m.type === 'error', 10_000);
  if (w.type !== 'welcome') throw new Error(`${name} on port ${port}: ${JSON.stringify(w)}`);
  c.received.push(w);
  return c;
}
