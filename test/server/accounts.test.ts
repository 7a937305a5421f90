import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/wire/messages.js';
import { addUser, startTestServer, tempDb, Wire, type TestServer } from './helpers.js';

// The account scenarios of issue 4 end to end: real sockets, a real database file, the real hub and store.

type Err = Extract<ServerMessage, { type: 'error' }>;
type Welcome = Extract<ServerMessage, { type: 'welcome' }>;

const servers: TestServer[] = [];
const wires: Wire[] = [];

async function serve(db: string, o: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer> {
  const s = await startTestServer(db, o);
  servers.push(s);
  return s;
}

async function hello(port: number, name: string, extra: { password?: string; token?: string } = {}): Promise<Wire> {
  const w = await Wire.hello(port, name, extra);
  wires.push(w);
  return w;
}

afterEach(async () => {
  for (const w of wires.splice(0)) w.close();
  for (const s of servers.splice(0)) await s.stop();
});

const isErr = (code: string) => (f: ServerMessage) => f.type === 'error' && f.code === code;

describe('login and lockout', () => {
  it('asks for the password of a registered name and lets the right one in with a session token', async () => {
    const s = await serve(tempDb());
    await addUser(s.store, 'alice', 'correct horse');
    const guest = await hello(s.port, 'alice');
    const asked = await guest.next<Err>(isErr('password_required'));
    expect(asked.ref).toBe('hello');
    guest.send({ type: 'hello', name: 'alice', version: 1, password: 'correct horse', ref: 'hello' });
    const welcome = await guest.next<Welcome>((f) => f.type === 'welcome');
    expect(welcome.account).toBe(true);
    expect(welcome.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives the same reply for a wrong password and for a name that does not exist', async () => {
    const s = await serve(tempDb(), { mode: 'required' });
    await addUser(s.store, 'alice', 'correct horse');
    const wrong = await hello(s.port, 'alice', { password: 'wrong pass' });
    const nobody = await hello(s.port, 'nobody', { password: 'wrong pass' });
    const a = await wrong.next<Err>((f) => f.type === 'error');
    const b = await nobody.next<Err>((f) => f.type === 'error');
    expect([a.code, a.message]).toEqual([b.code, b.message]);
    expect(a.code).toBe('login_failed');
  });

  it('locks a name after three wrong passwords, says how many seconds remain, and never disturbs the logged-in owner', async () => {
    const s = await serve(tempDb(), { blockDurationS: 60 });
    await addUser(s.store, 'alice', 'correct horse');
    const owner = await hello(s.port, 'alice', { password: 'correct horse' });
    const attacker = await hello(s.port, 'alice', { password: 'guess one' });
    expect((await attacker.next<Err>((f) => f.type === 'error')).code).toBe('login_failed');
    attacker.send({ type: 'hello', name: 'alice', version: 1, password: 'guess two', ref: 'hello' });
    expect((await attacker.next<Err>((f) => f.type === 'error')).code).toBe('login_failed');
    attacker.send({ type: 'hello', name: 'alice', version: 1, password: 'guess three', ref: 'hello' });
    const third = await attacker.next<Err>((f) => f.type === 'error');
    expect(third.code).toBe('locked');
    expect(third.seconds).toBe(60);
    expect(third.message).toContain('60 s');
    // Locked now: even the right password is refused, with the seconds left.
    attacker.send({ type: 'hello', name: 'alice', version: 1, password: 'correct horse', ref: 'hello' });
    const fourth = await attacker.next<Err>((f) => f.type === 'error');
    expect(fourth.code).toBe('locked');
    expect(fourth.seconds).toBeGreaterThan(55);
    expect(fourth.seconds).toBeLessThanOrEqual(60);
    // The owner's session went on untouched.
    const bob = await hello(s.port, 'bob');
    bob.send({ type: 'say', text: 'still there?' });
    expect(await owner.next((f) => f.type === 'message')).toMatchObject({ from: 'bob', text: 'still there?' });
    expect(owner.closed).toBe(false);
  });

  it('lets the owner in once the block duration has passed, and a success resets the count', async () => {
    const s = await serve(tempDb(), { blockDurationS: 1 });
    await addUser(s.store, 'alice', 'correct horse');
    const w = await hello(s.port, 'alice', { password: 'x1x1x1x1' });
    for (const pw of ['x2x2x2x2', 'x3x3x3x3']) {
      await w.next((f) => f.type === 'error');
      w.send({ type: 'hello', name: 'alice', version: 1, password: pw, ref: 'hello' });
    }
    expect((await w.next<Err>((f) => f.type === 'error')).code).toBe('locked');
    await new Promise((r) => setTimeout(r, 1100));
    w.send({ type: 'hello', name: 'alice', version: 1, password: 'correct horse', ref: 'hello' });
    expect((await w.next<Welcome>((f) => f.type === 'welcome')).account).toBe(true);
    // Reset: two new failures do not lock.
    const again = await hello(s.port, 'alice', { password: 'nope nope' });
    await again.next((f) => f.type === 'error');
    again.send({ type: 'hello', name: 'alice', version: 1, password: 'nope nope', ref: 'hello' });
    expect((await again.next<Err>((f) => f.type === 'error')).code).toBe('login_failed');
  });

  it('resumes with the session token, without the password', async () => {
    const s = await serve(tempDb());
    await addUser(s.store, 'alice', 'correct horse');
    const first = await hello(s.port, 'alice', { password: 'correct horse' });
    const token = (await first.next<Welcome>((f) => f.type === 'welcome')).token!;
    first.close();
    await first.waitClosed();
    const resumed = await hello(s.port, 'alice', { token });
    expect(await resumed.next((f) => f.type === 'welcome')).toMatchObject({ name: 'alice', account: true });
    const forged = await hello(s.port, 'alice', { token: 'A'.repeat(43) });
    expect((await forged.next<Err>((f) => f.type === 'error')).code).toBe('bad_token');
  });
});

describe('duplicate login', () => {
  it('kicks the older session only after the new login succeeded', async () => {
    const s = await serve(tempDb());
    await addUser(s.store, 'alice', 'correct horse');
    const watcher = await hello(s.port, 'watcher');
    const first = await hello(s.port, 'alice', { password: 'correct horse' });
    // A wrong password from elsewhere leaves the first session alone.
    const wrong = await hello(s.port, 'alice', { password: 'wrong pass' });
    await wrong.next((f) => f.type === 'error');
    await first.sync();
    expect(first.closed).toBe(false);

    const second = await hello(s.port, 'alice', { password: 'correct horse' });
    expect(await second.next((f) => f.type === 'welcome')).toMatchObject({ name: 'alice' });
    const told = await first.next<Err>(isErr('session_replaced'));
    expect(told.message).toContain('logged in from another location');
    await first.waitClosed();
    expect(await watcher.next((f) => f.type === 'left')).toMatchObject({ name: 'alice', reason: 'kicked', message: 'logged in from another location' });
    expect(await watcher.next((f) => f.type === 'joined')).toMatchObject({ name: 'alice' });
    second.send({ type: 'list', ref: 'l' });
    expect(await second.next((f) => f.type === 'users')).toMatchObject({ users: ['alice', 'watcher'] });
  });
});

describe('registration', () => {
  it('claims the current name with /register; the name then needs its password', async () => {
    const s = await serve(tempDb());
    const bob = await hello(s.port, 'bob');
    bob.send({ type: 'register', password: 'short', ref: 'r1' });
    expect(await bob.next((f) => f.type === 'error')).toMatchObject({ code: 'weak_password', ref: 'r1' });
    bob.send({ type: 'register', password: 'long enough', ref: 'r2' });
    expect(await bob.next((f) => f.type === 'registered')).toMatchObject({ name: 'bob', ref: 'r2' });
    const row = s.store.user('bob')!;
    expect(row.hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(row.hash).not.toContain('long enough');
    bob.send({ type: 'quit' });
    await bob.waitClosed();
    const other = await hello(s.port, 'bob');
    expect((await other.next<Err>((f) => f.type === 'error')).code).toBe('password_required');
    // A guest cannot rename into it either.
    const carol = await hello(s.port, 'carol');
    carol.send({ type: 'nick', name: 'BOB', ref: 'n' });
    expect(await carol.next((f) => f.type === 'error')).toMatchObject({ code: 'name_registered', ref: 'n' });
  });

  it('has no accounts with --auth off: any free name, /register refused', async () => {
    const s = await serve(tempDb(), { mode: 'off' });
    const w = await hello(s.port, 'alice');
    await w.next((f) => f.type === 'welcome');
    w.send({ type: 'register', password: 'long enough', ref: 'r' });
    expect(await w.next((f) => f.type === 'error')).toMatchObject({ code: 'accounts_off' });
  });

  it('admits only registered users with --auth required', async () => {
    const s = await serve(tempDb(), { mode: 'required' });
    const w = await hello(s.port, 'guest');
    expect(await w.next((f) => f.type === 'error')).toMatchObject({ code: 'password_required', ref: 'hello' });
  });
});

describe('offline whispers', () => {
  it('stores a whisper to a registered offline user and delivers it at their next login, marked late with its original time', async () => {
    const s = await serve(tempDb());
    await addUser(s.store, 'bob', 'bobs password');
    const alice = await hello(s.port, 'alice');
    alice.send({ type: 'whisper', to: 'bob', text: 'call me', ref: 'w1' });
    const echo = await alice.next((f) => f.type === 'whisper');
    expect(echo).toMatchObject({ from: 'alice', to: 'bob', text: 'call me', stored: true, ref: 'w1' });
    alice.send({ type: 'whisper', to: 'nobody', text: 'hello?', ref: 'w2' });
    expect(await alice.next((f) => f.type === 'error')).toMatchObject({ code: 'no_such_user', ref: 'w2' });

    await new Promise((r) => setTimeout(r, 20));
    const bob = await hello(s.port, 'bob', { password: 'bobs password' });
    const late = await bob.next((f) => f.type === 'whisper');
    expect(late).toMatchObject({ from: 'alice', to: 'bob', text: 'call me', late: true, time: (echo as { time: number }).time });
    // Acknowledged: the next login has nothing waiting.
    bob.send({ type: 'ack', upTo: (late as { id: number }).id });
    await bob.sync();
    bob.close();
    await bob.waitClosed();
    const again = await hello(s.port, 'bob', { password: 'bobs password' });
    await again.sync();
    expect(again.frames.filter((f) => f.type === 'whisper')).toEqual([]);
  });

  it('keeps stored whispers until the client acknowledges them: a connection lost before the ack loses nothing', async () => {
    const s = await serve(tempDb());
    await addUser(s.store, 'bob', 'bobs password');
    const alice = await hello(s.port, 'alice');
    for (const [i, text] of ['one', 'two', 'three'].entries()) alice.send({ type: 'whisper', to: 'bob', text, ref: `w${i}` });
    await alice.next((f) => f.type === 'whisper' && f.ref === 'w2');
    // The connection dies while the whispers are on their way (no ack sent).
    const first = await hello(s.port, 'bob', { password: 'bobs password' });
    const got = await first.next((f) => f.type === 'whisper' && f.text === 'three');
    first.close();
    await first.waitClosed();
    // They come again, all of them, at the next login; an ack for more than was sent forgets only those.
    const second = await hello(s.port, 'bob', { password: 'bobs password' });
    await second.sync();
    const again = second.frames.filter((f) => f.type === 'whisper');
    expect(again.map((f) => (f as { text: string }).text)).toEqual(['one', 'two', 'three']);
    expect(again.every((f) => (f as { late?: boolean }).late === true)).toBe(true);
    alice.send({ type: 'whisper', to: 'bob', text: 'four', ref: 'w3' });
    await alice.next((f) => f.type === 'whisper' && f.ref === 'w3');
    second.send({ type: 'ack', upTo: (got as { id: number }).id + 1000 });
    await second.sync();
    second.close();
    await second.waitClosed();
    const third = await hello(s.port, 'bob', { password: 'bobs password' });
    await third.sync();
    // "four" was live (bob was online), so nothing is left; acked ones are gone.
    expect(third.frames.filter((f) => f.type === 'whisper')).toEqual([]);
    expect(s.store.offlineCount('bob')).toBe(0);
  });
});

describe('the login backlog', () => {
  it('a full mailbox and history do not get their owner dropped for the send-queue cap at login', async () => {
    // The reviewer's attack: fill bob's mailbox and the room's history with big lines while he is away.
    const s = await serve(tempDb(), { historySize: 100, maxSendQueueBytes: 256 * 1024 });
    await addUser(s.store, 'bob', 'bobs password');
    const mallory = await hello(s.port, 'mallory');
    const big = '😀'.repeat(1900); // about 7.6 KB of UTF-8 per line
    // In batches, as the flood limit would pace them (it is off in these tests): mallory's own echoes
    // must not overflow mallory's queue.
    for (let i = 0; i < 100; i++) {
      mallory.send({ type: 'whisper', to: 'bob', text: `${i} ${big}`, ref: `w${i}` });
      mallory.send({ type: 'say', text: `${i} ${big}`, ref: `s${i}` });
      if (i % 10 === 9) await mallory.next((f) => f.type === 'message' && f.ref === `s${i}`);
    }
    const bob = await hello(s.port, 'bob', { password: 'bobs password' });
    await bob.next((f) => f.type === 'welcome');
    await bob.sync();
    expect(bob.frames.filter((f) => f.type === 'whisper' && f.late)).toHaveLength(100);
    expect(bob.frames.filter((f) => f.type === 'message' && f.history)).toHaveLength(100);
    expect(bob.closed).toBe(false);
    // Live traffic is still held to the cap afterwards: the allowance was only for the backlog.
    mallory.send({ type: 'say', text: 'still here', ref: 'live' });
    expect(await bob.next((f) => f.type === 'message' && f.text === 'still here')).toBeTruthy();
  });
});

describe('presence', () => {
  it('whoelse lists the others online; whoelsesince adds registered users seen within the window', async () => {
    const s = await serve(tempDb());
    await addUser(s.store, 'carol', 'carols password');
    const carol = await hello(s.port, 'carol', { password: 'carols password' });
    carol.send({ type: 'quit' });
    await carol.waitClosed();
    const alice = await hello(s.port, 'alice');
    await hello(s.port, 'bob');
    alice.send({ type: 'whoelse', ref: 'a' });
    expect(await alice.next((f) => f.type === 'seen')).toEqual({ type: 'seen', users: [{ name: 'bob', online: true }], ref: 'a' });
    alice.send({ type: 'whoelse', since: 60, ref: 'b' });
    const seen = await alice.next<Extract<ServerMessage, { type: 'seen' }>>((f) => f.type === 'seen');
    expect(seen.users.map((u) => [u.name, u.online])).toEqual([
      ['bob', true],
      ['carol', false],
    ]);
    expect(seen.users[1]!.lastSeen).toBeGreaterThan(Date.now() - 60_000);
    // Outside the window: not listed.
    s.store.setLastSeen('carol', Date.now() - 120_000);
    alice.send({ type: 'whoelse', since: 60, ref: 'c' });
    expect((await alice.next<Extract<ServerMessage, { type: 'seen' }>>((f) => f.type === 'seen')).users.map((u) => u.name)).toEqual(['bob']);
  });

  it('logs out an idle user with a notice, and tells the room the reason was a timeout', async () => {
    const s = await serve(tempDb(), { idleTimeoutMs: 300, tickMs: 50 });
    const idle = await hello(s.port, 'sleepy');
    const busy = await hello(s.port, 'busy');
    const talk = setInterval(() => busy.send({ type: 'list' }), 50);
    try {
      expect(await idle.next((f) => f.type === 'error')).toMatchObject({ code: 'idle_timeout' });
      await idle.waitClosed();
      expect(await busy.next((f) => f.type === 'left')).toMatchObject({ name: 'sleepy', reason: 'timeout' });
      expect(busy.closed).toBe(false);
    } finally {
      clearInterval(talk);
    }
  });
});

describe('blocking', () => {
  it('the blocker receives nothing from the blocked user; the blocked sender only learns "not delivered"', async () => {
    const s = await serve(tempDb());
    const bob = await hello(s.port, 'bob');
    const alice = await hello(s.port, 'alice');
    const carol = await hello(s.port, 'carol');
    bob.send({ type: 'block', name: 'alice', ref: 'b' });
    expect(await bob.next((f) => f.type === 'blocks')).toEqual({ type: 'blocks', names: ['alice'], ref: 'b' });
    bob.send({ type: 'list', ref: 'l' });
    expect(await bob.next((f) => f.type === 'users')).toMatchObject({ users: ['bob', 'carol'] });
    await bob.sync();
    bob.frames.length = 0; // joins before the block

    alice.send({ type: 'say', text: 'hello room' });
    alice.send({ type: 'whisper', to: 'bob', text: 'psst', ref: 'w' });
    const refused = await alice.next<Err>((f) => f.type === 'error');
    expect(refused).toMatchObject({ code: 'not_delivered', ref: 'w', message: 'your whisper to bob was not delivered' });
    alice.send({ type: 'nick', name: 'alicia' }); // a rename does not escape the block
    alice.send({ type: 'say', text: 'new name, same person' });
    alice.send({ type: 'quit' });
    expect(await carol.next((f) => f.type === 'message')).toMatchObject({ from: 'alice', text: 'hello room' });
    expect(await carol.next((f) => f.type === 'message')).toMatchObject({ from: 'alicia', text: 'new name, same person' });
    await carol.next((f) => f.type === 'left');
    await bob.sync();
    expect(bob.frames.filter((f) => f.type !== 'pong').map((f) => f.type)).toEqual([]);

    bob.send({ type: 'block', ref: 'list' });
    expect(await bob.next((f) => f.type === 'blocks')).toMatchObject({ names: ['alicia'] });
    bob.send({ type: 'unblock', name: 'alicia', ref: 'u' });
    expect(await bob.next((f) => f.type === 'blocks')).toMatchObject({ names: [] });
    carol.send({ type: 'say', text: 'heard again' });
    expect(await bob.next((f) => f.type === 'message')).toMatchObject({ from: 'carol' });
    bob.send({ type: 'unblock', name: 'alicia', ref: 'u2' });
    expect(await bob.next((f) => f.type === 'error')).toMatchObject({ code: 'no_such_user', ref: 'u2' });
  });

  it('keeps a registered user\'s blocks across logins and holds offline whispers from the blocked user back', async () => {
    const s = await serve(tempDb());
    await addUser(s.store, 'bob', 'bobs password');
    await addUser(s.store, 'alice', 'alices password');
    const bob = await hello(s.port, 'bob', { password: 'bobs password' });
    bob.send({ type: 'block', name: 'alice' });
    await bob.next((f) => f.type === 'blocks');
    bob.send({ type: 'quit' });
    await bob.waitClosed();

    const alice = await hello(s.port, 'alice', { password: 'alices password' });
    alice.send({ type: 'whisper', to: 'bob', text: 'while you were out', ref: 'w' });
    expect(await alice.next((f) => f.type === 'error')).toMatchObject({ code: 'not_delivered', ref: 'w' });
    alice.send({ type: 'say', text: 'in history' });
    await alice.next((f) => f.type === 'message');

    const back = await hello(s.port, 'bob', { password: 'bobs password' });
    const welcome = await back.next<Welcome>((f) => f.type === 'welcome');
    expect(welcome.blocked).toEqual(['alice']);
    expect(welcome.users).toEqual(['bob']);
    await back.sync();
    expect(back.frames.filter((f) => f.type === 'message' || f.type === 'whisper')).toEqual([]);
  });
});

describe('history and restarts', () => {
  it('replays the last N room messages on join, marked as history', async () => {
    const s = await serve(tempDb(), { historySize: 2 });
    const alice = await hello(s.port, 'alice');
    for (const text of ['one', 'two', 'three']) {
      alice.send({ type: 'say', text, ref: text });
      await alice.next((f) => f.type === 'message' && f.ref === text);
    }
    const bob = await hello(s.port, 'bob');
    await bob.sync();
    const replay = bob.frames.filter((f) => f.type === 'message');
    expect(replay.map((f) => [(f as { text: string }).text, (f as { history?: boolean }).history])).toEqual([
      ['two', true],
      ['three', true],
    ]);
  });

  it('loses nothing across a restart: accounts, blocks, offline whispers, history, last-seen, message ids', async () => {
    const db = tempDb();
    const s1 = await serve(db);
    const guest = await hello(s1.port, 'dave');
    guest.send({ type: 'register', password: 'daves password', ref: 'r' });
    await guest.next((f) => f.type === 'registered');
    guest.send({ type: 'block', name: 'dave2', ref: 'x' }); // not a user: refused, nothing stored
    await guest.next((f) => f.type === 'error');
    await addUser(s1.store, 'erin', 'erins password');
    guest.send({ type: 'block', name: 'erin' });
    await guest.next((f) => f.type === 'blocks');
    guest.send({ type: 'say', text: 'before the restart', ref: 's' });
    const said = await guest.next<Extract<ServerMessage, { type: 'message' }>>((f) => f.type === 'message');
    const frank = await hello(s1.port, 'frank');
    frank.send({ type: 'whisper', to: 'dave', text: 'not yet' }); // dave is online: delivered live
    await guest.next((f) => f.type === 'whisper');
    guest.send({ type: 'quit' });
    await guest.waitClosed();
    frank.send({ type: 'whisper', to: 'dave', text: 'for later', ref: 'w' });
    await frank.next((f) => f.type === 'whisper' && f.ref === 'w');
    await servers.pop()!.stop();

    const s2 = await serve(db);
    expect(s2.store.integrityCheck()).toBe('ok');
    const again = await hello(s2.port, 'dave', { password: 'daves password' });
    const welcome = await again.next<Welcome>((f) => f.type === 'welcome');
    expect(welcome.blocked).toEqual(['erin']);
    await again.sync();
    const history = again.frames.find((f) => f.type === 'message') as Extract<ServerMessage, { type: 'message' }>;
    expect(history).toMatchObject({ text: 'before the restart', history: true, id: said.id });
    expect(again.frames.find((f) => f.type === 'whisper')).toMatchObject({ text: 'for later', late: true });
    again.send({ type: 'say', text: 'after', ref: 'a' });
    const after = await again.next<Extract<ServerMessage, { type: 'message' }>>((f) => f.type === 'message' && f.ref === 'a');
    expect(after.id).toBeGreaterThan(said.id);
    const frank2 = await hello(s2.port, 'frank');
    frank2.send({ type: 'whoelse', since: 3600, ref: 'q' });
    expect((await frank2.next<Extract<ServerMessage, { type: 'seen' }>>((f) => f.type === 'seen')).users.map((u) => u.name)).toEqual(['dave']);
  });
});
