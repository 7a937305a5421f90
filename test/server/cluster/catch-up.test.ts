import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { serverProcess } from '../../helpers/cli.js';
import { READER_CONNECTION, type ClusterNodeProcess } from '../../helpers/cluster.js';
import { RawClient } from '../../helpers/raw-client.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { tcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

// Read-your-writes across the servers of a cluster: an account registered, a password changed or a token
// issued on one server, and acknowledged there, works on another at once, even while that server's replica
// lags behind the journal (fresh-clone CI once saw `login_failed` for a password registered a moment before
// on the other server, on a loaded machine). The server waits for its replica to catch up
// (ClusterBus.caughtUp, at most CLUSTER_CATCH_UP_MS) before it checks. Here server 1 reaches Redis through
// a proxy that holds back its journal reader's answers, so its replica lags for as long as the test says.

let redis: RedisServer;
let proxy: TcpProxy;
const nodes: ClusterNodeProcess[] = [];
const clients: RawClient[] = [];
const ARGS = ['--scrypt-n', '1024', '--no-rate-limit', '--max-per-ip', '0'];

beforeAll(async () => {
  redis = await startRedis();
  proxy = await tcpProxy(redis.port);
  nodes.push(await serverProcess(['--redis', redis.url, ...ARGS], 20_000));
  nodes.push(await serverProcess(['--redis', `redis://127.0.0.1:${proxy.port}`, ...ARGS], 20_000));
}, 40_000);
afterAll(async () => {
  for (const c of clients) c.close();
  for (const n of nodes) {
    n.child.kill('SIGTERM');
    await n.exit;
  }
  await proxy?.close();
  await redis?.stop();
});

async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

/** A client on `node` that sent hello with `fields`; `answer` is the welcome or error it gets. */
async function hello(node: number, fields: Record<string, unknown>): Promise<{ client: RawClient; answer: Promise<ServerMessage> }> {
  const client = await RawClient.connect(nodes[node]!.port);
  clients.push(client);
  client.send({ type: 'hello', version: 2, ...fields });
  return { client, answer: client.next((m) => m.type === 'welcome' || m.type === 'error', 10_000) };
}

const code = (m: ServerMessage): string => (m.type === 'error' ? m.code : m.type);

/** A registered account `name` (password 'correct horse') that server 1 knows, and its owner's client on server 0. */
async function account(name: string): Promise<{ owner: RawClient; token: string }> {
  const { client: owner, answer } = await hello(0, { name });
  expect(code(await answer)).toBe('welcome');
  const registered = await ask(owner, { type: 'register', password: 'correct horse' }, 'reg');
  if (registered.type !== 'registered') throw new Error(JSON.stringify(registered));
  return { owner, token: registered.token };
}

/**
 * What server 1 answers to `fields` while its replica lags behind: no answer while its journal reader is
 * held back (it waits for the replica), then the answer once the reader gets the journal.
 */
async function answerWhileLagging(fields: Record<string, unknown>): Promise<string> {
  const { answer } = await hello(1, fields);
  let early: ServerMessage | undefined;
  void answer.then((m) => (early = m));
  await new Promise((r) => setTimeout(r, 300));
  expect(early, 'answered before its replica caught up').toBeUndefined();
  proxy.releaseAnswers();
  return code(await answer);
}

describe("a server whose replica lags behind the cluster's journal", () => {
  it('waits, then lets in a password registered on another server a moment before', async () => {
    proxy.holdAnswers(READER_CONNECTION);
    const { owner } = await account('fresh');
    owner.close();
    expect(await answerWhileLagging({ name: 'fresh', password: 'correct horse' })).toBe('welcome');
  });

  it('waits, then resumes with a token issued on another server a moment before', async () => {
    proxy.holdAnswers(READER_CONNECTION);
    const { owner, token } = await account('token');
    owner.close();
    expect(await answerWhileLagging({ name: 'token', token })).toBe('welcome');
  });

  it('waits, then takes the new password changed on another server a moment before, and refuses the old one', async () => {
    const { owner } = await account('changer');
    proxy.holdAnswers(READER_CONNECTION);
    const changed = await ask(owner, { type: 'password', old: 'correct horse', password: 'battery staple' }, 'pw');
    expect(changed.type).toBe('password_changed');
    owner.close();
    expect(await answerWhileLagging({ name: 'changer', password: 'correct horse' })).toBe('login_failed');
    expect(code(await (await hello(1, { name: 'changer', password: 'battery staple' })).answer)).toBe('welcome');
  });
});
