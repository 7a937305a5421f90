import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ROOMS_PER_USER } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';
import { addUser, startTestServer, tempDb, type TestServer } from './helpers.js';

// Rooms over real sockets (issue 13): isolation, the version-1 client in the default room, moderation
// (kick, ban with expiry, mute, topic lock, administrators closing a room), and a restart that keeps rooms.

let servers: TestServer[] = [];
let clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop();
  servers = [];
  clients = [];
});

async function serve(db = tempDb(), o: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer & { logged: string[] }> {
  const logged: string[] = [];
  const t = await startTestServer(db, { mode: 'optional', log: (event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`), ...o });
  servers.push(t);
  return { ...t, logged };
}

/** A version-2 client, welcomed; the welcome is kept in `received`. */
async function v2(port: number, name: string, password?: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  c.send({ type: 'hello', name, version: 2, ...(password !== undefined && { password }) });
  await c.seen((m) => m.type === 'welcome' || m.type === 'error');
  return c;
}

/** Everything `c` received up to now: a ping is answered after all earlier frames (PROTOCOL.md §2.2). */
async function drain(c: RawClient): Promise<ServerMessage[]> {
  const token = String(Math.random());
  c.send({ type: 'ping', token });
  await c.seen((m) => m.type === 'pong' && m.token === token);
  const all = c.received.splice(0).filter((m) => !(m.type === 'pong' && m.token === token));
  return all;
}

async function request(c: RawClient, msg: object, ref = String(Math.random())): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref);
}

describe('rooms', () => {
  it('keeps room messages, joins, leaves and renames to the members of that room', async () => {
    const { port } = await serve();
    const alice = await v2(port, 'alice');
    const bob = await v2(port, 'bob');
    const carol = await v2(port, 'carol');
    expect(await request(alice, { type: 'join', room: '#dev' })).toMatchObject({ type: 'room', room: '#dev', users: ['alice'], operators: ['alice'] });
    expect(await request(bob, { type: 'join', room: '#DEV' })).toMatchObject({ type: 'room', room: '#dev', users: ['alice', 'bob'] });
    for (const c of [alice, bob, carol]) await drain(c);

    await request(alice, { type: 'say', room: '#dev', text: 'dev only' });
    await request(alice, { type: 'say', text: 'to the lobby' });
    const bobSaw = (await drain(bob)).filter((m) => m.type === 'message');
    const carolSaw = (await drain(carol)).filter((m) => m.type === 'message');
    expect(bobSaw.map((m) => [m.type === 'message' && m.room, m.type === 'message' && m.text])).toEqual([
      ['#dev', 'dev only'],
      ['#lobby', 'to the lobby'],
    ]);
    expect(carolSaw.map((m) => m.type === 'message' && m.text)).toEqual(['to the lobby']);

    // A rename reaches each person who shares a room once, however many rooms they share.
    await request(alice, { type: 'nick', name: 'alicia' });
    expect((await drain(bob)).filter((m) => m.type === 'renamed')).toHaveLength(1);
    expect((await drain(carol)).filter((m) => m.type === 'renamed')).toHaveLength(1);

    // Leaving one room is seen in that room only; the lobby still has bob.
    expect(await request(bob, { type: 'part', room: '#dev', reason: 'lunch' })).toMatchObject({ type: 'left', room: '#dev', name: 'bob', reason: 'part', message: 'lunch' });
    expect((await drain(alice)).filter((m) => m.type === 'left')).toEqual([expect.objectContaining({ room: '#dev', name: 'bob', reason: 'part' })]);
    expect((await drain(carol)).filter((m) => m.type === 'left')).toEqual([]);
    expect(await request(bob, { type: 'say', room: '#dev', text: 'still here?' })).toMatchObject({ type: 'error', code: 'not_in_room' });

    // Whispers stay person to person, whatever the rooms.
    expect(await request(carol, { type: 'whisper', to: 'alicia', text: 'psst' })).toMatchObject({ type: 'whisper', to: 'alicia' });
    expect((await drain(alice)).filter((m) => m.type === 'whisper')).toHaveLength(1);
    expect((await drain(bob)).filter((m) => m.type === 'whisper')).toEqual([]);
  });

  it('checks room names and limits, lists rooms with counts and topics, and forgets an empty room', async () => {
    const { port } = await serve();
    const alice = await v2(port, 'alice');
    for (const bad of ['dev', '#', '#' + 'x'.repeat(33), '#dév', '#a b', '#a\u200bb']) {
      expect(await request(alice, { type: 'join', room: bad })).toMatchObject({ type: 'error', code: 'invalid_room', re: 'join' });
    }
    expect(await request(alice, { type: 'join', room: '#' + 'x'.repeat(32) })).toMatchObject({ type: 'room' });
    for (let i = 2; i < MAX_ROOMS_PER_USER; i++) await request(alice, { type: 'join', room: `#r${i}` });
    expect(await request(alice, { type: 'join', room: '#one-too-many' })).toMatchObject({ type: 'error', code: 'too_many_rooms' });

    const bob = await v2(port, 'bob');
    await request(bob, { type: 'join', room: '#tmp' });
    await request(bob, { type: 'join', room: '#kept' });
    await request(bob, { type: 'topic', room: '#kept', text: 'a topic keeps a room' });
    await request(bob, { type: 'part', room: '#tmp' });
    await request(bob, { type: 'part', room: '#kept' });
    const list = (await request(bob, { type: 'rooms' })) as Extract<ServerMessage, { type: 'rooms' }>;
    expect(list.rooms.find((r) => r.room === '#tmp')).toBeUndefined();
    expect(list.rooms.find((r) => r.room === '#kept')).toEqual({ room: '#kept', users: 0, topic: 'a topic keeps a room' });
    expect(list.rooms.find((r) => r.room === '#lobby')).toEqual({ room: '#lobby', users: 2 });
  });

  it('refuses a new room past the server-wide limit', async () => {
    const { port } = await serve(tempDb(), { maxRooms: 3 });
    const alice = await v2(port, 'alice');
    await request(alice, { type: 'join', room: '#a' });
    await request(alice, { type: 'join', room: '#b' });
    expect(await request(alice, { type: 'join', room: '#c' })).toMatchObject({ type: 'error', code: 'room_limit' });
    expect(await request(alice, { type: 'join', room: '#a' })).toMatchObject({ type: 'room', room: '#a' });
  });

  it('keeps a version-1 client in the default room, seeing it exactly as before', async () => {
    const { port } = await serve();
    const dave = await RawClient.connect(port);
    clients.push(dave);
    dave.send({ type: 'hello', name: 'dave', version: 1 });
    const welcome = await dave.next((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({ type: 'welcome', version: 1, name: 'dave', users: ['dave'] });
    expect(welcome).not.toHaveProperty('rooms');
    const alice = await v2(port, 'alice');
    await request(alice, { type: 'join', room: '#dev' });
    await drain(dave);
    await request(alice, { type: 'say', room: '#dev', text: 'not for dave' });
    await request(alice, { type: 'topic', text: 'lobby topic' });
    await request(alice, { type: 'say', text: 'for everyone' });
    await request(alice, { type: 'part', room: '#lobby' });
    const seen = await drain(dave);
    expect(seen).toEqual([
      { type: 'message', id: expect.any(Number), from: 'alice', text: 'for everyone', time: expect.any(Number) },
      { type: 'left', name: 'alice', reason: 'quit', time: expect.any(Number) },
    ]);
    expect(await request(dave, { type: 'join', room: '#dev' })).toMatchObject({ type: 'error', code: 'unknown_type', re: 'join' });
    expect(await request(dave, { type: 'say', room: '#dev', text: 'v1 ignores room' })).toMatchObject({ type: 'message', text: 'v1 ignores room' });
    expect(await request(dave, { type: 'list' })).toEqual({ type: 'users', users: ['dave'], ref: expect.any(String) });
  });
});

describe('moderation', () => {
  async function devRoom() {
    const t = await serve();
    const alice = await v2(t.port, 'alice');
    const bob = await v2(t.port, 'bob');
    const carol = await v2(t.port, 'carol');
    for (const c of [alice, bob, carol]) await request(c, { type: 'join', room: '#dev' });
    for (const c of [alice, bob, carol]) await drain(c);
    return { ...t, alice, bob, carol };
  }

  it('kick: only an operator, shown to the room with who and why; the kicked may come back', async () => {
    const { alice, bob, carol, logged } = await devRoom();
    expect(await request(bob, { type: 'kick', room: '#dev', name: 'carol' })).toMatchObject({ type: 'error', code: 'not_operator' });
    expect(await request(alice, { type: 'kick', room: '#dev', name: 'bob', reason: 'off topic' })).toMatchObject({
      type: 'left',
      room: '#dev',
      name: 'bob',
      reason: 'kicked',
      by: 'alice',
      message: 'off topic',
    });
    expect((await drain(bob)).filter((m) => m.type === 'left')).toEqual([expect.objectContaining({ room: '#dev', name: 'bob', reason: 'kicked', by: 'alice' })]);
    expect((await drain(carol)).filter((m) => m.type === 'left')).toEqual([expect.objectContaining({ name: 'bob', reason: 'kicked' })]);
    expect(await request(bob, { type: 'say', room: '#dev', text: 'hi' })).toMatchObject({ code: 'not_in_room' });
    expect(await request(bob, { type: 'join', room: '#dev' })).toMatchObject({ type: 'room', room: '#dev' });
    expect(logged.join('\n')).toMatch(/moderation .*"action":"kick","by":"alice","name":"bob","reason":"off topic"/);
  });

  it('ban with a duration: out at once, refused while it lasts (by address too, for a guest), welcome after', async () => {
    const { port, alice, bob, carol, logged } = await devRoom();
    expect(await request(alice, { type: 'ban', room: '#dev', name: 'bob', seconds: 1 })).toMatchObject({ type: 'moderation', action: 'ban', name: 'bob', seconds: 1, by: 'alice' });
    expect((await drain(carol)).map((m) => m.type)).toEqual(['moderation', 'left']);
    expect((await drain(bob)).filter((m) => m.type === 'left')).toEqual([expect.objectContaining({ name: 'bob', reason: 'banned', by: 'alice' })]);
    expect(await request(bob, { type: 'join', room: '#dev' })).toMatchObject({ type: 'error', code: 'banned', seconds: 1 });
    // The same guest under another name, from the same address.
    const bobby = await v2(port, 'bobby');
    expect(await request(bobby, { type: 'join', room: '#dev' })).toMatchObject({ type: 'error', code: 'banned' });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await request(bob, { type: 'join', room: '#dev' })).toMatchObject({ type: 'room', room: '#dev' });
    expect(logged.join('\n')).toMatch(/moderation .*"action":"ban","by":"alice","name":"bob","seconds":1/);
  });

  it('ban until lifted, and unban', async () => {
    const { alice, bob } = await devRoom();
    await request(alice, { type: 'ban', room: '#dev', name: 'bob', reason: 'spam' });
    expect(await request(bob, { type: 'join', room: '#dev' })).toMatchObject({ type: 'error', code: 'banned', message: expect.stringContaining('until an operator lifts it') });
    expect(await request(alice, { type: 'unban', room: '#dev', name: 'BOB' })).toMatchObject({ type: 'moderation', action: 'unban', name: 'bob' });
    expect(await request(bob, { type: 'join', room: '#dev' })).toMatchObject({ type: 'room' });
  });

  it('mute: the muted may stay and read but not speak, until unmuted', async () => {
    const { alice, bob, carol } = await devRoom();
    expect(await request(alice, { type: 'mute', room: '#dev', name: 'bob' })).toMatchObject({ type: 'moderation', action: 'mute', name: 'bob' });
    expect((await drain(carol)).filter((m) => m.type === 'moderation')).toHaveLength(1);
    expect(await request(bob, { type: 'say', room: '#dev', text: 'can I?' })).toMatchObject({ type: 'error', code: 'muted' });
    await request(carol, { type: 'say', room: '#dev', text: 'bob still reads' });
    expect((await drain(bob)).filter((m) => m.type === 'message').map((m) => m.type === 'message' && m.text)).toEqual(['bob still reads']);
    expect(await request(bob, { type: 'say', text: 'the lobby is fine' })).toMatchObject({ type: 'message' });
    await request(alice, { type: 'unmute', room: '#dev', name: 'bob' });
    expect(await request(bob, { type: 'say', room: '#dev', text: 'thanks' })).toMatchObject({ type: 'message', room: '#dev' });
  });

  it('topic: anyone sets it until an operator locks it; operators can name other operators', async () => {
    const { alice, bob, carol } = await devRoom();
    expect(await request(bob, { type: 'topic', room: '#dev', text: 'release friday' })).toMatchObject({ type: 'topic', topic: 'release friday', by: 'bob' });
    expect((await drain(carol)).filter((m) => m.type === 'topic')).toEqual([expect.objectContaining({ room: '#dev', topic: 'release friday', by: 'bob' })]);
    expect(await request(alice, { type: 'topic_lock', room: '#dev', locked: true })).toMatchObject({ type: 'moderation', action: 'lock' });
    expect(await request(bob, { type: 'topic', room: '#dev', text: 'party' })).toMatchObject({ type: 'error', code: 'topic_locked' });
    expect(await request(carol, { type: 'topic', room: '#dev' })).toMatchObject({ type: 'topic', topic: 'release friday', by: 'bob' });
    expect(await request(alice, { type: 'op', room: '#dev', name: 'carol' })).toMatchObject({ type: 'moderation', action: 'op', name: 'carol' });
    expect(await request(carol, { type: 'topic', room: '#dev', text: 'carol can' })).toMatchObject({ type: 'topic', topic: 'carol can' });
    expect(await request(carol, { type: 'kick', room: '#dev', name: 'bob' })).toMatchObject({ type: 'left', reason: 'kicked' });
  });

  it('a server administrator moderates every room and closes one; others may not close', async () => {
    const t = await serve();
    await addUser(t.store, 'root', 'correct horse');
    t.store.setAdmin('root', true);
    const alice = await v2(t.port, 'alice');
    const bob = await v2(t.port, 'bob');
    for (const c of [alice, bob]) await request(c, { type: 'join', room: '#dev' });
    const root = await v2(t.port, 'root', 'correct horse');
    expect(await request(alice, { type: 'close', room: '#dev' })).toMatchObject({ type: 'error', code: 'not_operator' });
    expect(await request(root, { type: 'mute', room: '#dev', name: 'bob' })).toMatchObject({ type: 'moderation', action: 'mute', by: 'root' });
    expect(await request(root, { type: 'close', room: '#lobby' })).toMatchObject({ type: 'error', code: 'invalid_room' });
    await drain(alice);
    expect(await request(root, { type: 'close', room: '#dev', reason: 'done' })).toMatchObject({ type: 'closed', room: '#dev', by: 'root', reason: 'done' });
    expect((await drain(alice)).filter((m) => m.type === 'closed')).toEqual([expect.objectContaining({ room: '#dev', by: 'root' })]);
    const list = (await request(alice, { type: 'rooms' })) as Extract<ServerMessage, { type: 'rooms' }>;
    expect(list.rooms.map((r) => r.room)).toEqual(['#lobby']);
    expect(t.logged.join('\n')).toMatch(/moderation .*"action":"close","by":"root","reason":"done"/);
  });
});

describe('rooms across a restart', () => {
  it('keeps rooms, topics, operators and history, and puts people back in their rooms', async () => {
    const db = tempDb();
    const first = await serve(db);
    await addUser(first.store, 'alice', 'correct horse');
    let alice = await v2(first.port, 'alice', 'correct horse');
    let bob = await v2(first.port, 'bob');
    await request(alice, { type: 'join', room: '#dev' });
    await request(alice, { type: 'topic', room: '#dev', text: 'ship it' });
    await request(bob, { type: 'join', room: '#dev' });
    await request(alice, { type: 'say', room: '#dev', text: 'before the restart' });
    await request(alice, { type: 'say', text: 'lobby line' });
    await first.stop();
    servers = servers.filter((s) => s !== first);

    const second = await serve(db);
    alice = await v2(second.port, 'alice', 'correct horse');
    expect(await alice.next((m) => m.type === 'welcome')).toMatchObject({ rooms: ['#lobby', '#dev'] });
    expect(await alice.next((m) => m.type === 'room' && m.room === '#dev')).toMatchObject({ topic: 'ship it', topicBy: 'alice', operators: ['alice'], users: ['alice'] });
    const history = (await drain(alice)).filter((m) => m.type === 'message');
    expect(history.map((m) => m.type === 'message' && [m.room, m.text, m.history])).toEqual([
      ['#lobby', 'lobby line', true],
      ['#dev', 'before the restart', true],
    ]);
    bob = await v2(second.port, 'bob');
    expect(await bob.next((m) => m.type === 'welcome')).toMatchObject({ rooms: ['#lobby', '#dev'] });
    expect((await drain(alice)).filter((m) => m.type === 'joined').map((m) => m.type === 'joined' && m.room)).toEqual(['#lobby', '#dev']);
    // alice is still the operator: the kept operator status is by account.
    expect(await request(alice, { type: 'kick', room: '#dev', name: 'bob' })).toMatchObject({ type: 'left', reason: 'kicked' });
  });
});

describe('history of notices', () => {
  it('a notice is replayed as a notice (RFC 2812 §3.3.2: nobody answers one), to a later login and after a restart', async () => {
    const db = tempDb();
    const first = await serve(db);
    const alice = await v2(first.port, 'alice');
    await request(alice, { type: 'say', text: 'build 17 failed', notice: true });
    await request(alice, { type: 'say', text: 'looking into it' });
    /** What `name`, logging in now, gets replayed: text, history and notice of each line. */
    const replayed = async (port: number, name: string) =>
      (await drain(await v2(port, name))).flatMap((m) => (m.type === 'message' ? [[m.text, m.history, m.notice]] : []));
    const expected = [
      ['build 17 failed', true, true],
      ['looking into it', true, undefined],
    ];
    expect(await replayed(first.port, 'carol')).toEqual(expected);
    await first.stop();
    servers = servers.filter((s) => s !== first);
    const second = await serve(db);
    expect(await replayed(second.port, 'dave')).toEqual(expected);
  });
});

describe('--default-room', () => {
  it('puts everyone in the room the server names, and version 1 lives there', async () => {
    const { port } = await serve(tempDb(), { defaultRoom: '#main' });
    const alice = await v2(port, 'alice');
    expect(await alice.next((m) => m.type === 'welcome')).toMatchObject({ rooms: ['#main'], users: ['alice'] });
    const dave = await RawClient.join(port, 'dave');
    clients.push(dave);
    await drain(alice);
    await request(alice, { type: 'say', room: '#MAIN', text: 'hi dave' });
    expect((await drain(dave)).filter((m) => m.type === 'message')).toEqual([expect.objectContaining({ text: 'hi dave' })]);
    expect(await request(alice, { type: 'rooms' })).toMatchObject({ rooms: [{ room: '#main', users: 2 }] });
  });
});
