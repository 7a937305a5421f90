import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { run, SERVER, serverProcess } from '../../helpers/cli.js';
import { RawClient } from '../../helpers/raw-client.js';
import { clusterFixture } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';

// Three real parley-server processes on one real redis-server are one chat system: a room spanning the
// three with clients on each, whispers across nodes (online, and stored for a registered user who is
// offline), names unique across nodes also when two people take one at the same moment, a login on
// one node resuming with a token issued by another, and `parley-server user passwd|remove --redis` closing
// the account's live connection on whichever node holds it.

const cluster = clusterFixture(3, ['--scrypt-n', '1024', '--no-rate-limit']);
const { nodes, clients } = cluster;

async function join(node: number, name: string): Promise<RawClient> {
  const c = await RawClient.join(nodes[node]!.port, name);
  clients.push(c);
  return c;
}

const isMessage = (text: string) => (m: ServerMessage) => m.type === 'message' && m.text === text;

describe('a cluster of three servers', () => {
  it('carries one room across the three: joins, messages, the user list and leaves reach every node', async () => {
    const alice = await join(0, 'alice');
    const bob = await join(1, 'bob');
    await alice.next((m) => m.type === 'joined' && m.name === 'bob', 5000);
    const carol = await RawClient.connect(nodes[2]!.port);
    clients.push(carol);
    carol.send({ type: 'hello', name: 'carol', version: 1 });
    expect(await carol.next((m) => m.type === 'welcome', 5000)).toMatchObject({ users: ['alice', 'bob', 'carol'] });
    await alice.next((m) => m.type === 'joined' && m.name === 'carol', 5000);
    await bob.next((m) => m.type === 'joined' && m.name === 'carol', 5000);

    alice.send({ type: 'say', text: 'hello from node 0', ref: 'r1' });
    const echo = await alice.next((m) => m.type === 'message' && m.ref === 'r1');
    const atBob = await bob.next(isMessage('hello from node 0'), 5000);
    const atCarol = await carol.next(isMessage('hello from node 0'), 5000);
    expect(atBob).toMatchObject({ from: 'alice', id: echo.type === 'message' ? echo.id : -1 });
    expect(atCarol).toEqual(atBob);
    carol.send({ type: 'say', text: 'and from node 2', action: true });
    expect(await alice.next(isMessage('and from node 2'), 5000)).toMatchObject({ from: 'carol', action: true });

    for (const [c, ref] of [[alice, 'l0'], [bob, 'l1'], [carol, 'l2']] as const) {
      c.send({ type: 'list', ref });
      expect(await c.next((m) => m.type === 'users' && m.ref === ref)).toMatchObject({ users: ['alice', 'bob', 'carol'] });
    }
    bob.send({ type: 'whoelse', ref: 'w' });
    const seen = await bob.next((m) => m.type === 'seen' && m.ref === 'w');
    expect(seen.type === 'seen' && seen.users.map((u) => u.name)).toEqual(['alice', 'carol']);

    carol.send({ type: 'nick', name: 'caroline' });
    expect(await alice.next((m) => m.type === 'renamed', 5000)).toMatchObject({ old: 'carol', new: 'caroline' });
    carol.send({ type: 'quit', reason: 'bye' });
    expect(await alice.next((m) => m.type === 'left', 5000)).toMatchObject({ name: 'caroline', reason: 'quit', message: 'bye' });
    expect(await bob.next((m) => m.type === 'left', 5000)).toMatchObject({ name: 'caroline', reason: 'quit' });
    alice.send({ type: 'list', ref: 'l3' });
    expect(await alice.next((m) => m.type === 'users' && m.ref === 'l3')).toMatchObject({ users: ['alice', 'bob'] });
    alice.close();
    bob.close();
  });

  it('routes a whisper to the node of its recipient, and stores one for a registered user who is offline', async () => {
    const dan = await join(0, 'dan');
    const erin = await join(2, 'erin');
    // dan's node learns of erin through the bus, milliseconds later (more under load): whisper once it has.
    await dan.next((m) => m.type === 'joined' && m.name === 'erin', 5000);
    dan.send({ type: 'whisper', to: 'ERIN', text: 'psst, across nodes', ref: 'w1' });
    const echo = await dan.next((m) => m.type === 'whisper' && m.ref === 'w1', 5000);
    expect(echo).toMatchObject({ from: 'dan', to: 'erin', text: 'psst, across nodes' });
    expect(echo).not.toHaveProperty('stored');
    const got = await erin.next((m) => m.type === 'whisper', 5000);
    expect(got).toMatchObject({ from: 'dan', to: 'erin', text: 'psst, across nodes', id: echo.type === 'whisper' ? echo.id : -1 });

    // erin registers on node 2, leaves; dan (node 0) whispers her: stored; she logs in on node 1 and gets it.
    erin.send({ type: 'register', password: 'correct horse', ref: 'reg' });
    const registered = await erin.next((m) => m.type === 'registered', 10_000);
    erin.close(); // a lost connection keeps the session token (a /quit would end it)
    await dan.next((m) => m.type === 'left' && m.name === 'erin', 5000);
    dan.send({ type: 'whisper', to: 'erin', text: 'while you were away', ref: 'w2' });
    expect(await dan.next((m) => m.type === 'whisper' && m.ref === 'w2', 5000)).toMatchObject({ stored: true });
    // Her token, issued by node 2, resumes on node 1.
    const back = await RawClient.connect(nodes[1]!.port);
    clients.push(back);
    back.send({ type: 'hello', name: 'erin', version: 1, token: registered.type === 'registered' ? registered.token : '' });
    expect(await back.next((m) => m.type === 'welcome', 5000)).toMatchObject({ name: 'erin', account: true });
    expect(await back.next((m) => m.type === 'whisper', 5000)).toMatchObject({ from: 'dan', text: 'while you were away', late: true });
    // Logging in on node 0 closes the session on node 1.
    const again = await RawClient.connect(nodes[0]!.port);
    clients.push(again);
    again.send({ type: 'hello', name: 'erin', version: 1, password: 'correct horse' });
    expect(await again.next((m) => m.type === 'welcome', 10_000)).toMatchObject({ name: 'erin', account: true });
    expect(await back.next((m) => m.type === 'error', 5000)).toMatchObject({ code: 'session_replaced' });
    await back.closed;
    dan.close();
    again.close();
  });

  it('lets exactly one of two people take a name (or two names that look alike) at the same moment on two nodes', async () => {
    let wins = 0;
    for (let round = 0; round < 20; round++) {
      // Even rounds: the same name in another case; odd rounds: look-alikes (I, l and 1, O and 0).
      const [name, other] = round % 2 === 0 ? [`racer${round}`, `RACER${round}`] : [`ollie${round}`, `0lIie${round}`];
      const [a, b] = await Promise.all([RawClient.connect(nodes[0]!.port), RawClient.connect(nodes[1]!.port)]);
      clients.push(a, b);
      a.send({ type: 'hello', name, version: 1 });
      b.send({ type: 'hello', name: other, version: 1 });
      const answers = await Promise.all([a, b].map((c) => c.next((m) => m.type === 'welcome' || (m.type === 'error' && m.re === 'hello'), 5000)));
      const welcomed = answers.filter((m) => m.type === 'welcome');
      expect(welcomed, `round ${round}`).toHaveLength(1);
      const refusal = answers.find((m) => m.type === 'error');
      expect(refusal?.type === 'error' && refusal.code, `round ${round}`).toMatch(/^name_(taken|confusable)$/);
      wins += welcomed.length;
      a.close();
      b.close();
    }
    expect(wins).toBe(20);
  });

  it('carries a room other than the default across nodes (protocol version 2), and a part is not a departure', async () => {
    const hello = async (node: number, name: string): Promise<RawClient> => {
      const c = await RawClient.connect(nodes[node]!.port);
      clients.push(c);
      c.send({ type: 'hello', name, version: 2 });
      await c.next((m) => m.type === 'welcome', 5000);
      return c;
    };
    const fay = await hello(0, 'fay');
    const gus = await hello(1, 'gus');
    fay.send({ type: 'join', room: '#ops', ref: 'j1' });
    await fay.next((m) => m.type === 'room' && m.room === '#ops', 5000);
    gus.send({ type: 'join', room: '#ops', ref: 'j2' });
    await gus.next((m) => m.type === 'room' && m.room === '#ops', 5000);
    await fay.next((m) => m.type === 'joined' && m.name === 'gus' && m.room === '#ops', 5000);
    fay.send({ type: 'say', room: '#ops', text: 'in ops, across nodes', ref: 's1' });
    expect(await gus.next((m) => m.type === 'message' && m.text === 'in ops, across nodes', 5000)).toMatchObject({ from: 'fay', room: '#ops' });
    fay.send({ type: 'part', room: '#ops', ref: 'p1' });
    expect(await gus.next((m) => m.type === 'left' && m.name === 'fay', 5000)).toMatchObject({ room: '#ops', reason: 'part' });
    // Still online: a whisper reaches her, and the default room still lists her.
    gus.send({ type: 'whisper', to: 'fay', text: 'still here?', ref: 'w' });
    expect(await fay.next((m) => m.type === 'whisper', 5000)).toMatchObject({ from: 'gus', text: 'still here?' });
    gus.send({ type: 'list', ref: 'l' });
    const list = await gus.next((m) => m.type === 'users' && 'ref' in m && m.ref === 'l', 5000);
    expect(list.type === 'users' && list.users).toContain('fay');
    fay.close();
    gus.close();
  });

  it('is shown by parley-server cluster status: three nodes, their users and heartbeats', async () => {
    const zoe = await join(1, 'zoe');
    let out = '';
    for (const end = Date.now() + 10_000; Date.now() < end; ) {
      const r = run(SERVER, ['cluster', 'status', '--redis', cluster.redis.url]);
      await r.exit;
      out = r.stdout();
      if (/users: .*zoe/.test(out)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(out).toMatch(/^3 node\(s\) alive/m);
    for (const n of nodes) expect(out).toContain(`127.0.0.1:${n.port}  pid ${n.pid}`);
    expect(out).toMatch(/users: .*zoe/);
    zoe.close();
  });

  it('closes the live login of an account whose password `user passwd --redis` changed, with one line, on whichever node holds it', async () => {
    const login = async (node: number, password: string): Promise<RawClient> => {
      const c = await RawClient.connect(nodes[node]!.port);
      clients.push(c);
      c.send({ type: 'hello', name: 'olive', version: 2, password });
      expect(await c.next((m) => m.type === 'welcome' || m.type === 'error', 10_000)).toMatchObject({ type: 'welcome' });
      return c;
    };
    const add = run(SERVER, ['user', 'add', 'olive', '--redis', cluster.redis.url], { PARLEY_PASSWORD: 'correct horse' });
    expect(await add.exit, add.stderr()).toBe(0);
    const olive = await login(1, 'correct horse');
    const passwd = run(SERVER, ['user', 'passwd', 'olive', '--redis', cluster.redis.url], { PARLEY_PASSWORD: 'battery staple' });
    expect(await passwd.exit, passwd.stderr()).toBe(0);
    expect(await olive.next((m) => m.type === 'error', 10_000)).toMatchObject({
      code: 'session_revoked',
      message: 'the password of olive was changed; this session is closed: log in again with the new password',
    });
    await olive.closed;
    const again = await login(2, 'battery staple');
    const remove = run(SERVER, ['user', 'remove', 'olive', '--redis', cluster.redis.url]);
    expect(await remove.exit, remove.stderr()).toBe(0);
    expect(await again.next((m) => m.type === 'error', 10_000)).toMatchObject({ code: 'session_revoked', message: "the account olive was removed by the server's operator; this session is closed" });
  }, 60_000);
});
