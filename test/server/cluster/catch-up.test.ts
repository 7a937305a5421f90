import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { clusterFixture } from '../../helpers/cluster.js';
import { RawClient } from '../../helpers/raw-client.js';

// Read-your-writes across the servers of a cluster: an account registered, a password changed or a token
// issued on one server, and acknowledged there, works on another at once, even while that server's replica
// lags behind the journal (its stream reader cut off, as by a network fault, or a loaded machine: fresh-clone
// CI once saw `login_failed` for a password registered a moment before on the other server). The server
// waits for its replica to catch up (ClusterBus.caughtUp, at most CLUSTER_CATCH_UP_MS) before it checks.

const cluster = clusterFixture(2, ['--scrypt-n', '1024', '--no-rate-limit', '--max-per-ip', '0']);

let admin: Redis | undefined;
afterEach(() => {
  admin?.disconnect();
  admin = undefined;
});

/**
 * Cut every server's journal reader off Redis (CLIENT KILL): each reads nothing for a while (it reconnects
 * after about 200 ms and goes on from its position). Its command connection stays up.
 */
async function cutReaders(): Promise<void> {
  admin ??= new Redis(cluster.redis.port, '127.0.0.1');
  // Both readers connected (a cut before this one may still be reconnecting).
  let readers: string[] = [];
  for (const end = Date.now() + 5000; readers.length < 2 && Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    readers = [...((await admin.client('LIST')) as string).matchAll(/id=(\d+) .*name=parley:[0-9a-f]+:read /g)].map((m) => m[1]!);
  }
  expect(readers, 'both servers read the journal').toHaveLength(2);
  for (const id of readers) await admin.client('KILL', 'ID', id);
}

async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

/** The answer to a hello on `node`: welcome or an error. */
async function hello(node: number, fields: Record<string, unknown>): Promise<ServerMessage> {
  const c = await RawClient.connect(cluster.nodes[node]!.port);
  cluster.clients.push(c);
  c.send({ type: 'hello', version: 2, ...fields });
  return c.next((m) => m.type === 'welcome' || m.type === 'error', 10_000);
}

const answer = (m: ServerMessage): string => (m.type === 'error' ? m.code : m.type);

describe("a server whose replica lags behind the cluster's journal", () => {
  it('lets in a password registered on another server a moment before', async () => {
    const owner = await cluster.hello(0, 'fresh');
    await cutReaders();
    const registered = await ask(owner, { type: 'register', password: 'correct horse' }, 'reg');
    expect(registered.type).toBe('registered');
    owner.close();
    expect(answer(await hello(1, { name: 'fresh', password: 'correct horse' }))).toBe('welcome');
  });

  it('resumes with a token issued on another server a moment before', async () => {
    const owner = await cluster.hello(0, 'token');
    const registered = await ask(owner, { type: 'register', password: 'correct horse' }, 'reg');
    if (registered.type !== 'registered') throw new Error(JSON.stringify(registered));
    owner.close();
    // A token issued by a login on server 0 while server 1 reads nothing.
    await cutReaders();
    const login = await hello(0, { name: 'token', password: 'correct horse' });
    if (login.type !== 'welcome') throw new Error(JSON.stringify(login));
    expect(answer(await hello(1, { name: 'token', token: login.token }))).toBe('welcome');
  });

  it('takes the new password changed on another server a moment before, and refuses the old one', async () => {
    const owner = await cluster.hello(0, 'changer');
    const registered = await ask(owner, { type: 'register', password: 'correct horse' }, 'reg');
    if (registered.type !== 'registered') throw new Error(JSON.stringify(registered));
    await cutReaders();
    const changed = await ask(owner, { type: 'password', old: 'correct horse', password: 'battery staple' }, 'pw');
    expect(changed.type).toBe('password_changed');
    owner.close();
    expect(answer(await hello(1, { name: 'changer', password: 'correct horse' }))).toBe('login_failed');
    expect(answer(await hello(1, { name: 'changer', password: 'battery staple' }))).toBe('welcome');
  });
});
