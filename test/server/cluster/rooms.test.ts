import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { run, SERVER, serverProcess } from '../../helpers/cli.js';
import { welcomed } from '../../helpers/cluster.js';
import { RawClient } from '../../helpers/raw-client.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';

// Rooms other than the default across three real parley-server processes on one real redis-server: a room
// spanning the three with clients on each and its state shared (topic, operators, bans, mutes, membership,
// the room list with member counts), moderation by an operator on one node applied to a member on another,
// a ban that holds when the member comes back on another node, one creator when two nodes create a room at
// once, a room closed by an administrator made with `parley-server user admin --redis`, a guest's blocks
// honoured by the other nodes, and rooms kept when every node (and Redis) restarts.

type Node = Awaited<ReturnType<typeof serverProcess>>;
let redis: RedisServer;
let nodes: Node[] = [];
const clients: RawClient[] = [];

const ARGS = (url: string) => ['--redis', url, '--scrypt-n', '1024', '--no-rate-limit', '--max-per-ip', '0'];

async function startNodes(count: number): Promise<void> {
  nodes = await Promise.all(Array.from({ length: count }, () => serverProcess(ARGS(redis.url), 20_000)));
}

async function stopNodes(): Promise<void> {
  for (const n of nodes) {
    n.child.kill('SIGTERM');
    await n.exit;
  }
  nodes = [];
}

beforeAll(async () => {
  redis = await startRedis({ durable: true });
  await startNodes(3);
}, 40_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await stopNodes();
  await redis.stop();
});

/** A version-2 client on `node`, welcomed (with a password or token when given). */
function hello(node: number, name: string, login: { password?: string; token?: string } = {}): Promise<RawClient> {
  return welcomed(nodes[node]!.port, name, login, clients);
}

/** Send `msg` with `ref` and wait for the answer carrying that ref. */
async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

async function joinRoom(c: RawClient, room: string, ref: string): Promise<Extract<ServerMessage, { type: 'room' }>> {
  const got = await ask(c, { type: 'join', room }, ref);
  if (got.type !== 'room') throw new Error(`join ${room}: ${JSON.stringify(got)}`);
  return got;
}

async function register(c: RawClient, password: string): Promise<string> {
  const got = await ask(c, { type: 'register', password }, 'reg');
  if (got.type !== 'registered') throw new Error(`register: ${JSON.stringify(got)}`);
  return got.token;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What another node did reaches this one through Redis within milliseconds: ask until `ok`, up to 5 s. */
async function eventually(c: RawClient, msg: Record<string, unknown>, ok: (m: ServerMessage) => boolean): Promise<ServerMessage> {
  let got: ServerMessage | undefined;
  for (let i = 0; i < 50; i++) {
    got = await ask(c, msg, `e${i}`);
    if (ok(got)) return got;
    await pause(100);
  }
  return got!;
}

describe('rooms across a cluster of three servers', () => {
  it('shares a room spanning the three nodes: isolation, topic, operators, member counts, mute, kick and ban from another node', async () => {
    const olga = await hello(0, 'olga'); // creates #den: its operator
    const mia = await hello(1, 'mia');
    const carl = await hello(2, 'carl');
    const otto = await hello(2, 'otto');
    expect(await joinRoom(olga, '#den', 'j')).toMatchObject({ room: '#den', operators: ['olga'] });
    await pause(300); // her joining reaches the other nodes
    const atMia = await joinRoom(mia, '#den', 'j');
    // The room made on node 0 is the same room on node 1: its creator is its operator there too.
    expect(atMia).toMatchObject({ room: '#den', operators: ['olga'], users: ['mia', 'olga'] });
    await pause(300);
    expect(await joinRoom(carl, '#den', 'j')).toMatchObject({ operators: ['olga'], users: ['carl', 'mia', 'olga'] });
    await joinRoom(otto, '#side', 'j');
    await olga.next((m) => m.type === 'joined' && m.room === '#den' && m.name === 'carl', 5000);
    await pause(300);

    // The room list on any node counts the members on every node.
    const rooms = await ask(otto, { type: 'rooms' }, 'r');
    expect(rooms.type === 'rooms' && rooms.rooms.filter((r) => r.room !== '#lobby')).toEqual([
      { room: '#den', users: 3 },
      { room: '#side', users: 1 },
    ]);

    // Isolation: #den's talk reaches its members on every node, not #side; and the other way round.
    mia.send({ type: 'say', room: '#den', text: 'den only', ref: 's1' });
    otto.send({ type: 'say', room: '#side', text: 'side only', ref: 's2' });
    expect(await olga.next((m) => m.type === 'message' && m.text === 'den only', 5000)).toMatchObject({ room: '#den', from: 'mia' });
    expect(await carl.next((m) => m.type === 'message' && m.text === 'den only', 5000)).toMatchObject({ room: '#den' });
    await otto.next((m) => m.type === 'message' && m.ref === 's2', 5000);
    await pause(300);
    expect(otto.all('message').map((m) => m.text)).not.toContain('den only');
    for (const c of [olga, mia, carl]) expect(c.all('message').map((m) => m.text)).not.toContain('side only');

    // Topic set on node 0: seen on node 2 as it happens, and asked for there.
    expect(await ask(olga, { type: 'topic', room: '#den', text: 'plans for the week' }, 't')).toMatchObject({ type: 'topic', topic: 'plans for the week' });
    expect(await carl.next((m) => m.type === 'topic', 5000)).toMatchObject({ room: '#den', topic: 'plans for the week', by: 'olga' });
    expect(await ask(carl, { type: 'topic', room: '#den' }, 't2')).toMatchObject({ type: 'topic', topic: 'plans for the week', by: 'olga' });
    // Only operators may act; carl on node 2 is not one of #den's.
    expect(await ask(carl, { type: 'kick', room: '#den', name: 'mia' }, 'k0')).toMatchObject({ type: 'error', code: 'not_operator' });

    // Mute by the operator on node 0 of a member on node 1: she can no longer talk there.
    expect(await ask(olga, { type: 'mute', room: '#den', name: 'mia' }, 'm')).toMatchObject({ type: 'moderation', action: 'mute', name: 'mia' });
    await mia.next((m) => m.type === 'moderation' && m.action === 'mute', 5000);
    expect(await ask(mia, { type: 'say', room: '#den', text: 'can I?' }, 's3')).toMatchObject({ type: 'error', code: 'muted' });
    await ask(olga, { type: 'unmute', room: '#den', name: 'mia' }, 'um');
    await mia.next((m) => m.type === 'moderation' && m.action === 'unmute', 5000);
    expect(await ask(mia, { type: 'say', room: '#den', text: 'thanks' }, 's4')).toMatchObject({ type: 'message' });

    // Kick by the operator on node 0 of a member on node 2: out of the room on every node, told why.
    expect(await ask(olga, { type: 'kick', room: '#den', name: 'carl', reason: 'enough' }, 'k')).toMatchObject({ type: 'left', name: 'carl', reason: 'kicked', by: 'olga' });
    expect(await carl.next((m) => m.type === 'left' && m.name === 'carl', 5000)).toMatchObject({ room: '#den', reason: 'kicked', by: 'olga', message: 'enough' });
    expect(await mia.next((m) => m.type === 'left' && m.name === 'carl', 5000)).toMatchObject({ reason: 'kicked' });
    expect(await ask(carl, { type: 'say', room: '#den', text: 'still here?' }, 's5')).toMatchObject({ type: 'error', code: 'not_in_room' });
    const list = await ask(mia, { type: 'list', room: '#den' }, 'l');
    expect(list.type === 'users' && list.users).toEqual(['mia', 'olga']);

    // Ban by the operator on node 0 of a guest on node 2 (carl came back): out, and refused on rejoining.
    await joinRoom(carl, '#den', 'j2');
    await olga.next((m) => m.type === 'joined' && m.room === '#den' && m.name === 'carl', 5000);
    await ask(olga, { type: 'ban', room: '#den', name: 'carl' }, 'b');
    expect(await carl.next((m) => m.type === 'left' && m.name === 'carl', 5000)).toMatchObject({ reason: 'banned', by: 'olga' });
    expect(await ask(carl, { type: 'join', room: '#den' }, 'j3')).toMatchObject({ type: 'error', code: 'banned' });
    // Reconnecting to another node does not lift it (a guest is banned by name and address).
    carl.close();
    await olga.next((m) => m.type === 'left' && m.name === 'carl' && m.room === '#lobby', 5000);
    const carl2 = await hello(1, 'carl');
    expect(await ask(carl2, { type: 'join', room: '#den' }, 'j4')).toMatchObject({ type: 'error', code: 'banned' });
    for (const c of [olga, mia, carl2, otto]) c.close();
  }, 60_000);

  it("bans a registered member on another node by account: the ban holds when she logs in on a third node", async () => {
    const rex = await hello(0, 'rex');
    await register(rex, 'rex password 1');
    const bea = await hello(1, 'bea');
    const token = await register(bea, 'bea password 1');
    await joinRoom(rex, '#keep', 'j');
    await joinRoom(bea, '#keep', 'j');
    await rex.next((m) => m.type === 'joined' && m.room === '#keep' && m.name === 'bea', 5000);
    await ask(rex, { type: 'topic', room: '#keep', text: 'kept across restarts' }, 't');
    await ask(rex, { type: 'ban', room: '#keep', name: 'bea' }, 'b');
    expect(await bea.next((m) => m.type === 'left' && m.name === 'bea', 5000)).toMatchObject({ room: '#keep', reason: 'banned' });
    bea.close();
    await rex.next((m) => m.type === 'left' && m.room === '#lobby' && m.name === 'bea', 5000);
    // Back on node 2 with her token: not put back in #keep, and refused there.
    const again = await hello(2, 'bea', { token });
    const welcome = again.all('welcome')[0]!;
    expect(welcome.rooms).toEqual(['#lobby']);
    expect(await ask(again, { type: 'join', room: '#keep' }, 'j')).toMatchObject({ type: 'error', code: 'banned' });
    rex.close();
    again.close();
  }, 60_000);

  it('gives a room one creator (one operator) when two nodes create it at the same moment', async () => {
    for (let round = 0; round < 8; round++) {
      const room = `#race${round}`;
      const [a, b] = await Promise.all([hello(0, `ra${round}`), hello(1, `rb${round}`)]);
      const [ra, rb] = await Promise.all([joinRoom(a, room, 'j'), joinRoom(b, room, 'j')]);
      const ops = [...new Set([...ra.operators, ...rb.operators])];
      expect(ops, `round ${round}`).toHaveLength(1);
      // Both see the same one.
      const view = await eventually(a, { type: 'rooms' }, (m) => m.type === 'rooms' && m.rooms.find((r) => r.room === room)?.users === 2);
      expect(view.type === 'rooms' && view.rooms.find((r) => r.room === room)?.users, `round ${round}`).toBe(2);
      a.close();
      b.close();
    }
  }, 60_000);

  it('keeps a room that one node forgot as idle at the moment someone joined it on another', async () => {
    const listed = (room: string) => (m: ServerMessage) => m.type === 'rooms' && m.rooms.find((r) => r.room === room)?.users === 1;
    for (let round = 0; round < 4; round++) {
      const room = `#idle${round}`;
      const leaver = await hello(0, `lv${round}`);
      const comer = await hello(1, `cm${round}`);
      await joinRoom(leaver, room, 'j');
      await eventually(comer, { type: 'rooms' }, listed(room));
      // Its last member leaves on node 0, which forgets it, as someone joins it on node 1.
      leaver.send({ type: 'part', room, ref: 'p' });
      comer.send({ type: 'join', room, ref: 'j' });
      await leaver.next((m) => 'ref' in m && m.ref === 'p', 5000);
      expect(await comer.next((m) => 'ref' in m && m.ref === 'j', 5000)).toMatchObject({ type: 'room', room });
      // Every node has it, with its one member; a newcomer on node 2 joins it rather than making a new one.
      const third = await hello(2, `th${round}`);
      for (const c of [leaver, third]) expect(await eventually(c, { type: 'rooms' }, listed(room)), `round ${round}`).toSatisfy(listed(room));
      expect(await joinRoom(third, room, 'j')).toMatchObject({ users: [`cm${round}`, `th${round}`], operators: [] });
      for (const c of [leaver, comer, third]) c.close();
    }
  }, 60_000);

  it("answers a whisper blocked by a guest on another node with not_delivered, as one server does", async () => {
    const gil = await hello(1, 'gil');
    const wes = await hello(0, 'wes');
    await pause(300); // each node learns of the other's user
    expect(await ask(gil, { type: 'block', name: 'wes' }, 'bl')).toMatchObject({ type: 'blocks', names: ['wes'] });
    await pause(500); // the other nodes learn of it through Redis
    expect(await ask(wes, { type: 'whisper', to: 'gil', text: 'hear me?' }, 'w1')).toMatchObject({ type: 'error', code: 'not_delivered' });
    // Renaming is no way out of it.
    expect(await ask(wes, { type: 'nick', name: 'wesley' }, 'n')).toMatchObject({ type: 'renamed', new: 'wesley' });
    await pause(500);
    expect(await ask(wes, { type: 'whisper', to: 'gil', text: 'and now?' }, 'w2')).toMatchObject({ type: 'error', code: 'not_delivered' });
    // A node that starts later learns it too: zed, blocked while on node 2, comes back on a new node.
    const zed = await hello(2, 'zed');
    await pause(300);
    expect(await ask(gil, { type: 'block', name: 'zed' }, 'bl2')).toMatchObject({ type: 'blocks', names: ['wesley', 'zed'] });
    zed.close();
    nodes.push(await serverProcess(ARGS(redis.url), 20_000));
    await pause(500);
    const zed2 = await hello(3, 'zed');
    expect(await ask(zed2, { type: 'whisper', to: 'gil', text: 'hi' }, 'w3')).toMatchObject({ type: 'error', code: 'not_delivered' });
    await ask(gil, { type: 'unblock', name: 'wesley' }, 'ub');
    await pause(500);
    expect(await ask(wes, { type: 'whisper', to: 'gil', text: 'finally' }, 'w4')).toMatchObject({ type: 'whisper', to: 'gil' });
    expect(await gil.next((m) => m.type === 'whisper', 5000)).toMatchObject({ from: 'wesley', text: 'finally' });
    expect(gil.all('whisper').map((m) => m.text)).not.toContain('hear me?');
    for (const c of [gil, wes, zed2]) c.close();
  }, 60_000);

  it('lets an administrator made with `parley-server user admin --redis` close a room on another node', async () => {
    const add = run(SERVER, ['user', 'add', 'ada', '--redis', redis.url], { PARLEY_PASSWORD: 'ada password 1' });
    expect(await add.exit, add.stderr()).toBe(0);
    expect(add.stdout()).toContain(`added ada to the cluster on ${redis.url}`);
    const admin = run(SERVER, ['user', 'admin', 'ada'], { PARLEY_REDIS_URL: redis.url });
    expect(await admin.exit, admin.stderr()).toBe(0);
    const list = run(SERVER, ['user', 'list', '--redis', redis.url]);
    await list.exit;
    expect(list.stdout()).toMatch(/^ada\tnever seen\tadministrator$/m);
    // Taken in the cluster: a second add is refused.
    const again = run(SERVER, ['user', 'add', 'ADA', '--redis', redis.url], { PARLEY_PASSWORD: 'ada password 2' });
    expect(await again.exit).toBe(2);
    expect(again.stderr()).toContain('ADA already exists in the cluster on');

    const ada = await hello(0, 'ada', { password: 'ada password 1' });
    const ned = await hello(1, 'ned');
    await joinRoom(ned, '#doomed', 'j');
    // Node 0 learns of the room created on node 1 through the bus, milliseconds later (more under load).
    for (let i = 0; i < 50; i++) {
      const known = await ask(ada, { type: 'rooms' }, `k${i}`);
      if (known.type === 'rooms' && known.rooms.some((r) => r.room === '#doomed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await ask(ada, { type: 'close', room: '#doomed', reason: 'spam' }, 'c')).toMatchObject({ type: 'closed', room: '#doomed' });
    expect(await ned.next((m) => m.type === 'closed', 5000)).toMatchObject({ room: '#doomed', by: 'ada', reason: 'spam' });
    expect(await ask(ned, { type: 'say', room: '#doomed', text: 'hello?' }, 's')).toMatchObject({ type: 'error', code: 'no_such_room' });
    const rooms = await ask(ned, { type: 'rooms' }, 'r');
    expect(rooms.type === 'rooms' && rooms.rooms.map((r) => r.room)).not.toContain('#doomed');

    // Removed from the cluster: the name is free again, and she can no longer log in.
    const remove = run(SERVER, ['user', 'remove', 'ada', '--redis', redis.url]);
    expect(await remove.exit, remove.stderr()).toBe(0);
    ada.close();
    await pause(300);
    const back = await RawClient.connect(nodes[1]!.port);
    clients.push(back);
    back.send({ type: 'hello', name: 'ada', version: 2, password: 'ada password 1' });
    expect(await back.next((m) => m.type === 'error' || m.type === 'welcome', 10_000)).toMatchObject({ type: 'error' });
    ned.close();
  }, 60_000);

  it('keeps rooms, topics, operators and bans when every node and Redis restart', async () => {
    await stopNodes();
    await redis.stop();
    await redis.restart();
    await startNodes(2);
    const rex = await hello(1, 'rex', { password: 'rex password 1' });
    const welcome = rex.all('welcome')[0]!;
    expect(welcome.rooms).toEqual(['#lobby', '#keep']);
    expect(await rex.next((m) => m.type === 'room' && m.room === '#keep', 5000)).toMatchObject({ topic: 'kept across restarts', operators: ['rex'] });
    const bea = await hello(0, 'bea', { password: 'bea password 1' });
    expect(await ask(bea, { type: 'join', room: '#keep' }, 'j')).toMatchObject({ type: 'error', code: 'banned' });
    const rooms = await ask(bea, { type: 'rooms' }, 'r');
    expect(rooms.type === 'rooms' && rooms.rooms.find((r) => r.room === '#keep')).toMatchObject({ users: 1, topic: 'kept across restarts' });
    rex.close();
    bea.close();
  }, 60_000);
});
