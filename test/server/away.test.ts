import { afterEach, describe, expect, it } from 'vitest';
import { MAX_AWAY_CHARS } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, tempDb, type TestServer } from './helpers.js';

// Away (issue 17, item 8) over real sockets: /away and /back seen by everyone sharing a room (and in
// every users list), the away message carried back to a whisperer once per away period, version-1
// clients left as they were, bad messages refused.

let servers: TestServer[] = [];
let clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop();
  servers = [];
  clients = [];
});

async function serve(): Promise<number> {
  const t = await startTestServer(tempDb(), { mode: 'off' });
  servers.push(t);
  return t.port;
}

async function hello(port: number, name: string, version = 2): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  c.send({ type: 'hello', name, version });
  await c.seen((m) => m.type === 'welcome');
  return c;
}

/** Everything `c` received up to now (a ping is answered after all earlier frames). */
async function drain(c: RawClient): Promise<ServerMessage[]> {
  const token = String(Math.random());
  c.send({ type: 'ping', token });
  await c.seen((m) => m.type === 'pong' && m.token === token);
  return c.received.splice(0).filter((m) => !(m.type === 'pong' && m.token === token));
}

async function request(c: RawClient, msg: object, ref = String(Math.random())): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref);
}

const aways = (frames: ServerMessage[]) => frames.filter((m) => m.type === 'away');

describe('away', () => {
  it('is seen by everyone who shares a room, in the away events and in every users list', async () => {
    const port = await serve();
    const alice = await hello(port, 'alice');
    const bob = await hello(port, 'bob');
    for (const c of [alice, bob]) await drain(c);

    expect(await request(bob, { type: 'away', message: 'gone fishing' })).toMatchObject({ type: 'away', name: 'bob', away: true, message: 'gone fishing' });
    expect(aways(await drain(alice))).toEqual([{ type: 'away', name: 'bob', away: true, message: 'gone fishing', time: expect.any(Number) }]);
    expect(await request(alice, { type: 'list' })).toMatchObject({ type: 'users', users: ['alice', 'bob'], away: ['bob'] });

    // Someone who comes later sees it in the welcome and in the room frame.
    const carol = await hello(port, 'carol');
    const login = carol.received.splice(0);
    expect(login.find((m) => m.type === 'welcome')).toMatchObject({ users: ['alice', 'bob', 'carol'], away: ['bob'], features: { away: true } });
    expect(login.find((m) => m.type === 'room')).toMatchObject({ room: '#lobby', away: ['bob'] });
    await request(alice, { type: 'join', room: '#dev' });
    expect(await request(bob, { type: 'join', room: '#dev' })).toMatchObject({ type: 'room', users: ['alice', 'bob'], away: ['bob'] });

    // Once per person however many rooms they share; a rename keeps it.
    for (const c of [alice, bob, carol]) await drain(c);
    expect(await request(bob, { type: 'back' })).toMatchObject({ type: 'away', name: 'bob', away: false });
    expect(aways(await drain(alice))).toEqual([expect.objectContaining({ name: 'bob', away: false })]);
    expect(aways(await drain(carol))).toHaveLength(1);
    expect(await request(alice, { type: 'list' })).not.toHaveProperty('away');
    await request(bob, { type: 'away' });
    expect(aways(await drain(alice))).toEqual([{ type: 'away', name: 'bob', away: true, time: expect.any(Number) }]);
    await request(bob, { type: 'nick', name: 'bobby' });
    expect(await request(alice, { type: 'list', room: '#dev' })).toMatchObject({ users: ['alice', 'bobby'], away: ['bobby'] });

    // Leaving ends it: the same name back is not away.
    bob.close();
    await alice.seen((m) => m.type === 'left' && m.name === 'bobby');
    await hello(port, 'bobby');
    expect(await request(alice, { type: 'list' })).not.toHaveProperty('away');
  });

  it('tells someone who whispers an away user their message once per sender per away period', async () => {
    const port = await serve();
    const alice = await hello(port, 'alice');
    const bob = await hello(port, 'bob');
    const carol = await hello(port, 'carol');
    await request(bob, { type: 'away', message: 'back at 3' });

    const first = await request(alice, { type: 'whisper', to: 'BOB', text: 'lunch?' });
    expect(first).toMatchObject({ type: 'whisper', from: 'alice', to: 'bob', text: 'lunch?', away: 'back at 3' });
    expect(await request(alice, { type: 'whisper', to: 'bob', text: 'hello?' })).not.toHaveProperty('away');
    expect(await request(carol, { type: 'whisper', to: 'bob', text: 'hi' })).toMatchObject({ away: 'back at 3' });
    // The recipient gets the whispers as ever, without the notice.
    const got = (await drain(bob)).filter((m) => m.type === 'whisper');
    expect(got.map((m) => m.type === 'whisper' && m.text)).toEqual(['lunch?', 'hello?', 'hi']);
    expect(got.every((m) => !('away' in m))).toBe(true);

    // A new away period: told again. Back: nothing.
    await request(bob, { type: 'away', message: 'in a meeting' });
    expect(await request(alice, { type: 'whisper', to: 'bob', text: 'now?' })).toMatchObject({ away: 'in a meeting' });
    await request(bob, { type: 'back' });
    expect(await request(alice, { type: 'whisper', to: 'bob', text: 'and now?' })).not.toHaveProperty('away');
    // An away user's own whispers are not answered with their own message.
    await request(bob, { type: 'away' });
    expect(await request(bob, { type: 'whisper', to: 'alice', text: 'brb' })).not.toHaveProperty('away');
    expect(await request(alice, { type: 'whisper', to: 'bob', text: 'ok' })).toMatchObject({ away: '' });
  });

  it('leaves version-1 clients as they were: no away events, away is a version-2 request', async () => {
    const port = await serve();
    const old = await hello(port, 'old', 1);
    const bob = await hello(port, 'bob');
    await drain(old);
    await request(bob, { type: 'away', message: 'afk' });
    expect(aways(await drain(old))).toEqual([]);
    // The list's extra field is ignored by a version-1 client (PROTOCOL.md §3.2); the whisper goes through.
    expect(await request(old, { type: 'whisper', to: 'bob', text: 'hi' })).toMatchObject({ type: 'whisper', text: 'hi' });
    expect(await request(old, { type: 'away', message: 'me too' })).toMatchObject({ type: 'error', code: 'unknown_type', re: 'away' });
  });

  it('refuses an over-long away message, cleans escapes out of it, and hides it from those who block the person', async () => {
    const port = await serve();
    const alice = await hello(port, 'alice');
    const bob = await hello(port, 'bob');
    const carol = await hello(port, 'carol');
    await request(carol, { type: 'block', name: 'bob' });
    for (const c of [alice, bob, carol]) await drain(c);

    const long = 'x'.repeat(MAX_AWAY_CHARS + 1);
    expect(await request(bob, { type: 'away', message: long })).toMatchObject({ type: 'error', code: 'text_too_long', re: 'away' });
    expect(await request(bob, { type: 'away', message: 42 })).toMatchObject({ type: 'error', code: 'invalid_message', re: 'away' });
    expect(aways(await drain(alice))).toEqual([]);

    expect(await request(bob, { type: 'away', message: 'out\u001b[2J\u001b]0;pwned\u0007 now' })).toMatchObject({ type: 'away', message: 'out now' });
    expect(aways(await drain(alice))).toEqual([expect.objectContaining({ message: 'out now' })]);
    expect(aways(await drain(carol))).toEqual([]);
  });
});
