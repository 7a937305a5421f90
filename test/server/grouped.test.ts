import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { Hub, type Outbox } from '../../src/server/hub.js';
import { GROUP_NOTICES_MIN_MEMBERS } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { IrcClient } from '../helpers/irc-client.js';
import { RawClient } from '../helpers/raw-client.js';

// Grouped join and leave notices of a busy room (issue 15 target 5, issue 10 item 6), over real sockets: a
// join storm costs a member who said hello with `grouped` a few frames listing everyone, not one frame per
// person; a client that did not ask (version 2 or 1) still gets one notice per person, in order.

let server: RunningServer;
let clients: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await server?.close();
});

/** Who was in the room when each client was welcomed. */
const welcomed = new Map<RawClient, string[]>();

async function hello(name: string, version: number, grouped = false): Promise<RawClient> {
  const c = await RawClient.connect(server.port);
  clients.push(c);
  c.send({ type: 'hello', name, version, ...(grouped && { grouped: true }) });
  const welcome = await c.next((m) => m.type === 'welcome', 60_000);
  welcomed.set(c, welcome.type === 'welcome' ? [...(welcome.users ?? [])] : []);
  return c;
}

/** Everything `c` received up to now (a ping is answered after all earlier frames). */
async function drain(c: RawClient): Promise<ServerMessage[]> {
  const token = String(Math.random());
  c.send({ type: 'ping', token });
  await c.next((m) => m.type === 'pong' && m.token === token, 20_000);
  return c.received.splice(0);
}

/** The names a list of joined (or left) frames announces, grouped or not. */
function announced(frames: ServerMessage[], type: 'joined' | 'left'): string[] {
  return frames.flatMap((m) => (m.type === type ? (m.names ?? [m.name]) : []));
}

describe('join and leave notices of a busy room', () => {
  it('a storm of 150 joins and then 150 leaves reaches a grouped member in a few frames, everyone else one notice per person', async () => {
    server = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0 });
    // A busy room first, one at a time.
    for (let i = 0; i < GROUP_NOTICES_MIN_MEMBERS; i++) await hello(`base${i}`, 2);
    const grouped = await hello('watcher', 2, true);
    const plain = await hello('plainer', 2);
    const old = await hello('oldie', 1);
    for (const c of [grouped, plain, old]) await drain(c);

    const storm = Array.from({ length: 150 }, (_, i) => `storm${i}`);
    const joiners = await Promise.all(storm.map((name) => hello(name, 2)));
    const g = await drain(grouped);
    const p = await drain(plain);
    const o = await drain(old);
    const gJoined = g.filter((m) => m.type === 'joined');
    expect(announced(g, 'joined').sort()).toEqual([...storm].sort());
    expect(gJoined.length).toBeLessThan(storm.length / 3);
    expect(gJoined.some((m) => m.type === 'joined' && (m.names?.length ?? 0) > 1)).toBe(true);
    // Without `grouped`, one notice per person, in the order they came, and never a `names` field.
    for (const frames of [p, o]) {
      const joined = frames.filter((m) => m.type === 'joined');
      expect(joined.map((m) => (m.type === 'joined' ? m.name : ''))).toEqual(announced(g, 'joined'));
      expect(joined.every((m) => !('names' in m))).toBe(true);
    }
    // The joiners themselves learn of each of the others once, in their welcome's list or in a notice, and
    // nobody is told of their own arrival.
    for (const [i, c] of joiners.entries()) {
      const told = announced(await drain(c), 'joined');
      expect(told).not.toContain(storm[i]);
      expect(told.filter((n) => welcomed.get(c)!.includes(n))).toEqual([]);
      expect([...welcomed.get(c)!, ...told].filter((n) => n.startsWith('storm')).sort()).toEqual([...storm].sort());
    }

    for (const c of joiners) c.close();
    const gone = async (c: RawClient): Promise<ServerMessage[]> => {
      const frames: ServerMessage[] = [];
      while (announced(frames, 'left').length < storm.length) frames.push(await c.next((m) => m.type === 'left', 20_000));
      return frames;
    };
    const gl = await gone(grouped);
    expect(announced(gl, 'left').sort()).toEqual([...storm].sort());
    expect(gl.length).toBeLessThan(storm.length / 3);
    expect(gl.every((m) => m.type === 'left' && m.reason === 'lost')).toBe(true);
    const pl = await gone(plain);
    expect(pl).toHaveLength(storm.length);
  }, 120_000);

  it('an IRC client in a busy room gets one JOIN and one QUIT line per person of a grouped notice', async () => {
    server = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0, irc: { port: 0, ratePerSecond: 0 } });
    for (let i = 0; i < GROUP_NOTICES_MIN_MEMBERS; i++) await hello(`base${i}`, 2);
    const irc = await IrcClient.register(server.irc!.port, 'ircwatch');
    clients.push(irc);
    const storm = Array.from({ length: 30 }, (_, i) => `storm${i}`);
    const joiners = await Promise.all(storm.map((name) => hello(name, 2)));
    for (const name of storm) expect(await irc.next((m) => m.command === 'JOIN' && m.source?.startsWith(`${name}!`) === true, 10_000)).toMatchObject({ params: ['#lobby'] });
    for (const c of joiners) c.close();
    for (const name of storm) await irc.next((m) => m.command === 'QUIT' && m.source?.startsWith(`${name}!`) === true, 10_000);
    irc.send('NAMES #lobby');
    const names = (await irc.next((m) => m.command === '353')).params.at(-1)!.split(' ');
    expect(names).toHaveLength(GROUP_NOTICES_MIN_MEMBERS + 1);
  }, 120_000);

  it('an IRC client in two busy rooms gets one QUIT per person, though each room says it and their notices interleave', async () => {
    server = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0, irc: { port: 0, ratePerSecond: 0 } });
    const inBig = async (c: RawClient) => {
      c.send({ type: 'join', room: '#big' });
      await c.next((m) => m.type === 'room' && m.room === '#big', 60_000);
      return c;
    };
    for (let i = 0; i < GROUP_NOTICES_MIN_MEMBERS; i++) await inBig(await hello(`base${i}`, 2));
    const irc = await IrcClient.register(server.irc!.port, 'ircwatch');
    clients.push(irc);
    irc.send('JOIN #big');
    await irc.next((m) => m.command === '366' && m.params[1] === '#big');
    const storm = Array.from({ length: 20 }, (_, i) => `storm${i}`);
    const joiners = await Promise.all(storm.map(async (name) => inBig(await hello(name, 2))));
    for (const name of storm) await irc.next((m) => m.command === 'JOIN' && m.source?.startsWith(`${name}!`) === true && m.params[0] === '#big', 10_000);
    // Both rooms stay busy after they go: their leaves are held and come grouped, room after room.
    for (const c of joiners) c.close();
    for (const name of storm) await irc.next((m) => m.command === 'QUIT' && m.source?.startsWith(`${name}!`) === true, 10_000);
    await irc.sync();
    const quits = irc.raw.filter((l) => / QUIT /.test(l)).map((l) => l.slice(1, l.indexOf('!')));
    expect(quits.sort()).toEqual([...storm].sort());
  }, 120_000);

  it('a small room still gets one notice per person at once', async () => {
    server = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0 });
    const watcher = await hello('watcher', 2, true);
    await Promise.all(['a', 'b', 'c'].map((n) => hello(n, 2)));
    const frames = (await drain(watcher)).filter((m) => m.type === 'joined');
    expect(frames).toHaveLength(3);
    expect(frames.every((m) => !('names' in m))).toBe(true);
  });
});

// The same rules at the hub, with the clock and the tick in the test's hands.
describe('held notices at the hub', () => {
  function setup() {
    const sent = new Map<number, ServerMessage[]>();
    const out: Outbox = {
      send: (id, frame) => sent.set(id, [...(sent.get(id) ?? []), ...frame.toString().trim().split('\n').map((l) => JSON.parse(l) as ServerMessage)]),
      close: () => {},
      hold: () => {},
    };
    const hub = new Hub(out, { clock: () => 1_000_000, ratePerSecond: 0, historySize: 0, maxConnectionsPerIp: 0, groupNotices: true });
    let next = 0;
    const join = (name: string, extra: object = {}) => {
      const id = ++next;
      hub.connect(id, `10.0.${id >> 8}.${id & 255}`, id);
      hub.receive(id, JSON.stringify({ type: 'hello', name, version: 2, grouped: true, ...extra }));
      return id;
    };
    // A busy room, its notices sent, everyone's frames taken.
    const base = Array.from({ length: GROUP_NOTICES_MIN_MEMBERS }, (_, i) => join(`base${i}`));
    hub.tick();
    sent.clear();
    return { hub, sent, join, base, say: (id: number, o: object) => hub.receive(id, JSON.stringify(o)) };
  }
  const frames = (t: ReturnType<typeof setup>, id: number) => {
    const f = t.sent.get(id) ?? [];
    t.sent.set(id, []);
    return f;
  };

  it('a storm within one tick is one frame to a member; each newcomer hears only of those after them', () => {
    const t = setup();
    const watcher = t.base[0]!;
    const ids = Array.from({ length: 20 }, (_, i) => t.join(`new${i}`));
    expect(frames(t, watcher)).toEqual([]); // held until the tick
    t.hub.tick();
    const got = frames(t, watcher).filter((m) => m.type === 'joined');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'joined', room: '#lobby', name: 'new0', names: Array.from({ length: 20 }, (_, i) => `new${i}`) });
    for (const [i, id] of ids.entries()) {
      const told = frames(t, id).flatMap((m) => (m.type === 'joined' ? (m.names ?? [m.name]) : []));
      expect(told).toEqual(Array.from({ length: 19 - i }, (_, k) => `new${i + 1 + k}`));
    }
  });

  it('a member who blocks someone in the group gets it without them', () => {
    const t = setup();
    const blocker = t.join('blocker', { blocks: ['new1'] });
    t.hub.tick();
    frames(t, blocker);
    frames(t, t.base[0]!);
    for (let i = 0; i < 3; i++) t.join(`new${i}`);
    t.hub.tick();
    expect(frames(t, blocker).filter((m) => m.type === 'joined')).toEqual([expect.objectContaining({ name: 'new0', names: ['new0', 'new2'] })]);
    expect(frames(t, t.base[0]!).filter((m) => m.type === 'joined')).toEqual([expect.objectContaining({ names: ['new0', 'new1', 'new2'] })]);
  });

  it('order is kept: held notices go before a message, a rename, an away, a kick and the pong of a ping', () => {
    const t = setup();
    const watcher = t.base[0]!;
    const types = () => frames(t, watcher).map((m) => m.type + (m.type === 'joined' || m.type === 'left' ? ':' + (m.names ?? [m.name]).join(',') : ''));
    const a = t.join('ann');
    t.say(a, { type: 'say', text: 'hi' });
    expect(types()).toEqual(['joined:ann', 'message']);
    const b = t.join('bob');
    t.say(b, { type: 'nick', name: 'bobby' });
    expect(types()).toEqual(['joined:bob', 'renamed']);
    t.join('cy');
    t.say(a, { type: 'away', message: 'lunch' });
    expect(types()).toEqual(['joined:cy', 'away']);
    t.join('dee');
    t.hub.disconnect(a, 'lost');
    t.say(watcher, { type: 'ping', token: 'x' });
    expect(types()).toEqual(['joined:dee', 'left:ann', 'pong']);
  });

  it('leaves group by reason, and a small room is told at once', () => {
    const t = setup();
    const ids = ['p', 'q', 'r', 's'].map((n) => t.join(n));
    t.hub.tick();
    frames(t, t.base[0]!);
    t.hub.disconnect(ids[0]!, 'lost');
    t.hub.disconnect(ids[1]!, 'lost');
    t.say(ids[2]!, { type: 'quit', reason: 'bye' });
    t.say(ids[3]!, { type: 'quit', reason: 'bye' });
    t.hub.tick();
    const left = frames(t, t.base[0]!).filter((m) => m.type === 'left');
    expect(left).toEqual([
      expect.objectContaining({ name: 'p', names: ['p', 'q'], reason: 'lost' }),
      expect.objectContaining({ name: 'r', names: ['r', 's'], reason: 'quit', message: 'bye' }),
    ]);
    // Below GROUP_NOTICES_MIN_MEMBERS members: at once, one per person.
    frames(t, t.base[1]!);
    t.say(t.base[1]!, { type: 'join', room: '#small' });
    t.say(t.base[2]!, { type: 'join', room: '#small' });
    expect(frames(t, t.base[1]!).filter((m) => m.type === 'joined')).toEqual([expect.objectContaining({ room: '#small', name: 'base2' })]);
  });

  it('joins and leaves on other servers of a cluster are grouped too', () => {
    const t = setup();
    for (const n of ['x1', 'x2', 'x3']) {
      t.hub.roster(n, true);
      t.hub.inject('#lobby', { type: 'joined', room: '#lobby', name: n, time: 1 });
    }
    expect(frames(t, t.base[0]!)).toEqual([]);
    t.hub.tick();
    expect(frames(t, t.base[0]!)).toEqual([expect.objectContaining({ type: 'joined', names: ['x1', 'x2', 'x3'] })]);
  });
});
