import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { clusterFixture } from '../../helpers/cluster.js';
import type { RawClient } from '../../helpers/raw-client.js';

// One order for a room across the nodes of a cluster (two real parley-server processes on one real
// redis-server): history replayed at login is in the order the room saw the lines, whichever node each was
// said on, and hello.last (the newest id a client has) means "everything after this": a line said later on
// another node is never skipped because its node numbered it lower.

const { hello } = clusterFixture(2, ['--no-rate-limit', '--max-per-ip', '0']);

type Message = Extract<ServerMessage, { type: 'message' }>;

/** `from` says `text` (acknowledged) and `to` has received it: the next line is said after this one everywhere. */
async function line(from: RawClient, to: RawClient, text: string): Promise<Message> {
  from.send({ type: 'say', text, ref: text });
  const echo = (await from.next((m) => m.type === 'message' && m.ref === text, 10_000)) as Message;
  await to.seen((m) => m.type === 'message' && m.text === text, 10_000);
  return echo;
}

/** The history a new login gets (until its first live frame is impossible to tell: until the last line expected). */
async function replayed(c: RawClient, last: string): Promise<string[]> {
  await c.seen((m) => m.type === 'message' && m.text === last, 10_000);
  return c.all('message').filter((m) => m.history === true).map((m) => m.text);
}

describe('one order for a room across nodes', () => {
  it('replays history in the order the lines were said, not grouped by node', async () => {
    const ann = await hello(0, 'ann');
    const ben = await hello(1, 'ben');
    await ann.seen((m) => m.type === 'joined' && m.name === 'ben', 10_000);
    const said = ['one', 'two', 'three', 'four', 'five', 'six'];
    for (let i = 0; i < said.length; i++) {
      const [from, to] = i % 2 === 0 ? [ann, ben] : [ben, ann];
      await line(from, to, said[i]!);
    }
    for (const node of [0, 1]) {
      const late = await hello(node, `late${node}`);
      expect(await replayed(late, 'six')).toEqual(said);
    }
  });

  it('hello.last skips nothing said after it on another node', async () => {
    const cat = await hello(0, 'cat');
    const dot = await hello(1, 'dot');
    await cat.seen((m) => m.type === 'joined' && m.name === 'dot', 10_000);
    const watcher = await hello(1, 'eve');
    const a = await line(cat, watcher, 'from node 0');
    const b = await line(dot, watcher, 'from node 1');
    // The node whose line got the lower id speaks next, after eve has gone: it is the line a node-local
    // numbering would put below what she has.
    const [lower, other] = a.id < b.id ? [cat, dot] : [dot, cat];
    const newest = Math.max(a.id, b.id);
    watcher.close();
    await other.seen((m) => m.type === 'left' && m.name === 'eve', 10_000);
    await line(lower, other, 'said while eve was away');
    const back = await hello(1, 'eve', { last: [{ room: '#lobby', id: newest }] });
    expect(await replayed(back, 'said while eve was away')).toEqual(['said while eve was away']);
  });
});
