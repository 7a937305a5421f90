import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMessage, SessionInfo } from '../../src/wire/messages.js';
import { Accounts } from '../../src/server/accounts.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import { addUser, FAST_SCRYPT, startTestServer, tempDb, Wire, type TestServer } from './helpers.js';

// Token hygiene (issue 10, item 3), over real sockets against a real database file: a resumed token is
// rotated and the old one refused; a password login ends the account's other sessions (/logout all) or
// one of them; the owner lists them; /password and `parley-server user passwd` end every token.

type Welcome = Extract<ServerMessage, { type: 'welcome' }>;
type Err = Extract<ServerMessage, { type: 'error' }>;
type Sessions = Extract<ServerMessage, { type: 'sessions' }>;

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/server/main.js');

const servers: TestServer[] = [];
const wires: Wire[] = [];
afterEach(async () => {
  for (const w of wires.splice(0)) w.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(): Promise<TestServer> {
  const s = await startTestServer(tempDb());
  servers.push(s);
  await addUser(s.store, 'alice', 'correct horse');
  return s;
}

/** hello as `alice`; resolves with the wire and the welcome, or the wire and the hello's error. */
async function login(port: number, extra: { password?: string; token?: string }): Promise<{ w: Wire; welcome?: Welcome; error?: Err }> {
  const w = await Wire.hello(port, 'alice', extra);
  wires.push(w);
  const f = await w.next((f) => f.type === 'welcome' || (f.type === 'error' && f.ref === 'hello'));
  return f.type === 'welcome' ? { w, welcome: f } : { w, error: f as Err };
}

/** A login from a device that then loses its connection (not /quit, which ends the token): its token. */
async function loginAndDrop(port: number, extra: { password?: string; token?: string }): Promise<string> {
  const { w, welcome } = await login(port, extra);
  expect(welcome, 'login refused').toBeDefined();
  w.socket.destroy();
  await w.waitClosed();
  return welcome!.token!;
}

async function ask(w: Wire, msg: object, ref: string): Promise<ServerMessage> {
  w.send({ ...msg, ref });
  return w.next((f) => 'ref' in f && f.ref === ref);
}

/** The CLI as its own process while this test's server keeps running (spawnSync would stop its event loop). */
function admin(args: string[], input: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [MAIN, 'user', ...args], { env: { ...process.env, PARLEY_PASSWORD: '' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('token rotation', () => {
  it('a resume gets a new token; the one it used is refused from then on, and the new one works', async () => {
    const s = await serve();
    const t1 = await loginAndDrop(s.port, { password: 'correct horse' });
    const t2 = await loginAndDrop(s.port, { token: t1 });
    expect(t2).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t2).not.toBe(t1);
    // The replayed old token (what a sniffer copied) gets nothing.
    const replay = await login(s.port, { token: t1 });
    expect(replay.error).toMatchObject({ code: 'bad_token', re: 'hello' });
    expect(replay.welcome).toBeUndefined();
    // The owner's current token still works, and is rotated again.
    const t3 = await loginAndDrop(s.port, { token: t2 });
    expect(t3).not.toBe(t2);
  });

  it('two resumes racing with one token: exactly one gets in', async () => {
    const s = await serve();
    const t1 = await loginAndDrop(s.port, { password: 'correct horse' });
    const [a, b] = await Promise.all([login(s.port, { token: t1 }), login(s.port, { token: t1 })]);
    const welcomed = [a, b].filter((r) => r.welcome !== undefined);
    expect(welcomed).toHaveLength(1);
    expect([a, b].find((r) => r.error)?.error?.code).toBe('bad_token');
  });

  it('a token from a stolen copy, once used, shuts the owner out of the token but not of the password, and the owner then sees and ends it', async () => {
    const s = await serve();
    const owner = await loginAndDrop(s.port, { password: 'correct horse' });
    const thief = await login(s.port, { token: owner }); // the sniffer resumes first
    expect(thief.welcome).toBeDefined();
    thief.w.socket.destroy();
    await thief.w.waitClosed();
    expect((await login(s.port, { token: owner })).error?.code).toBe('bad_token');
    const back = await login(s.port, { password: 'correct horse' });
    const listed = (await ask(back.w, { type: 'sessions' }, 'ls')) as Sessions;
    expect(listed.sessions).toHaveLength(2);
    expect(listed.sessions.filter((x) => x.current)).toHaveLength(1);
    const other = listed.sessions.find((x) => !x.current)!;
    expect(other).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{8}$/), from: '127.0.0.1', created: expect.any(Number), lastUsed: expect.any(Number) });
    const ended = (await ask(back.w, { type: 'logout', session: other.id }, 'end')) as Sessions;
    expect(ended).toMatchObject({ type: 'sessions', ended: 1 });
    expect(ended.sessions.map((x: SessionInfo) => x.current)).toEqual([true]);
    expect((await login(s.port, { token: thief.welcome!.token! })).error?.code).toBe('bad_token');
    expect(await ask(back.w, { type: 'logout', session: other.id }, 'again')).toMatchObject({ type: 'error', code: 'no_such_session', re: 'logout' });
  });
});

describe('/logout all', () => {
  it('a password login ends every other session: the one connected is kicked and its token, like the others, is refused', async () => {
    const s = await serve();
    const laptop = await loginAndDrop(s.port, { password: 'correct horse' });
    // Someone holding a copied token is connected right now.
    const intruder = await login(s.port, { token: laptop });
    expect(intruder.welcome).toBeDefined();
    const phone = await login(s.port, { password: 'correct horse' });
    expect((await intruder.w.next<Err>((f) => f.type === 'error')).code).toBe('session_replaced');
    await intruder.w.waitClosed();
    const done = (await ask(phone.w, { type: 'logout', all: true }, 'all')) as Sessions;
    expect(done).toMatchObject({ type: 'sessions', ended: 1 });
    expect(done.sessions).toHaveLength(1);
    expect(done.sessions[0]!.current).toBe(true);
    // The intruder's client reconnects with its token, as clients do: refused, and the owner stays.
    const retry = await login(s.port, { token: intruder.welcome!.token! });
    expect(retry.error).toMatchObject({ code: 'bad_token' });
    await phone.w.sync();
    expect(phone.w.closed).toBe(false);
  });

  it('a connection that resumed with a token must give the password to end other sessions', async () => {
    const s = await serve();
    await loginAndDrop(s.port, { password: 'correct horse' }); // another device
    const mine = await loginAndDrop(s.port, { password: 'correct horse' });
    const resumed = await login(s.port, { token: mine });
    expect(await ask(resumed.w, { type: 'logout', all: true }, 'a')).toMatchObject({ type: 'error', code: 'password_required', re: 'logout' });
    expect(await ask(resumed.w, { type: 'logout', all: true, password: 'not it at all' }, 'b')).toMatchObject({ type: 'error', code: 'login_failed', re: 'logout' });
    expect(await ask(resumed.w, { type: 'logout', all: true, password: 'correct horse' }, 'c')).toMatchObject({ type: 'sessions', ended: 1 });
    // Proven now: no password asked again on this connection.
    expect(await ask(resumed.w, { type: 'logout', all: true }, 'd')).toMatchObject({ type: 'sessions', ended: 0 });
  });

  it('guests and malformed requests get specific errors', async () => {
    const s = await serve();
    const guest = await Wire.hello(s.port, 'bob');
    wires.push(guest);
    expect(await ask(guest, { type: 'sessions' }, 'g1')).toMatchObject({ type: 'error', code: 'no_account', re: 'sessions' });
    expect(await ask(guest, { type: 'password', old: 'x', password: 'yyyyyyyy' }, 'g2')).toMatchObject({ type: 'error', code: 'no_account', re: 'password' });
    expect(await ask(guest, { type: 'logout', all: true, session: 'ab' }, 'g3')).toMatchObject({ type: 'error', code: 'invalid_message', re: 'logout' });
    expect(await ask(guest, { type: 'logout' }, 'g4')).toMatchObject({ type: 'error', code: 'invalid_message', re: 'logout' });
  });
});

describe('password change', () => {
  it('/password checks the current password, then ends every token of the account; the new password works, the old one does not', async () => {
    const s = await serve();
    const other = await loginAndDrop(s.port, { password: 'correct horse' });
    const me = await login(s.port, { password: 'correct horse' });
    expect(await ask(me.w, { type: 'password', old: 'wrong horse', password: 'battery staple' }, 'p1')).toMatchObject({
      type: 'error',
      code: 'login_failed',
      message: 'the current password is wrong; nothing was changed',
    });
    expect(await ask(me.w, { type: 'password', old: 'correct horse', password: 'short' }, 'p2')).toMatchObject({ type: 'error', code: 'weak_password' });
    const changed = await ask(me.w, { type: 'password', old: 'correct horse', password: 'battery staple' }, 'p3');
    expect(changed).toMatchObject({ type: 'password_changed', name: 'alice', ended: 2, token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect((await login(s.port, { token: other })).error?.code).toBe('bad_token');
    expect((await login(s.port, { token: me.welcome!.token! })).error?.code).toBe('bad_token');
    expect((await login(s.port, { password: 'correct horse' })).error?.code).toBe('login_failed');
    // The connection that changed it goes on with its new token (a new login replaced it just now, so use that one).
    const fresh = await loginAndDrop(s.port, { password: 'battery staple' });
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe.skipIf(!fs.existsSync(MAIN))('parley-server user passwd', () => {
  function passwd(db: string, input: string, env: Record<string, string> = {}) {
    const r = spawnSync(process.execPath, [MAIN, 'user', 'passwd', 'alice', '--db', db], { input, encoding: 'utf8', env: { ...process.env, PARLEY_PASSWORD: '', ...env }, timeout: 30_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  it('sets the password read from stdin and ends every token, beside the running server', async () => {
    const s = await serve();
    const db = s.store.file;
    const t1 = await loginAndDrop(s.port, { password: 'correct horse' });
    const t2 = await loginAndDrop(s.port, { password: 'correct horse' });
    expect(passwd(db, 'short\n')).toMatchObject({ code: 2, err: 'parley-server user: a password needs at least 8 characters\n' });
    expect(passwd(db, '')).toMatchObject({ code: 2, err: expect.stringContaining('no password given') });
    expect(passwd(db, 'battery staple\n')).toMatchObject({ code: 0, out: `changed the password of alice in ${db}; ended 2 sessions; a running server disconnects alice within a second\n` });
    for (const token of [t1, t2]) expect((await login(s.port, { token })).error?.code).toBe('bad_token');
    expect((await login(s.port, { password: 'correct horse' })).error?.code).toBe('login_failed');
    expect((await login(s.port, { password: 'battery staple' })).welcome).toMatchObject({ account: true });
    const nobody = spawnSync(process.execPath, [MAIN, 'user', 'passwd', 'zed', '--db', db], { input: 'battery staple\n', encoding: 'utf8', env: { ...process.env, PARLEY_PASSWORD: '' } });
    expect(nobody.stderr).toBe(`parley-server user: there is no account zed in ${db}\n`);
  });


  it('disconnects a live connection of the account (a thief on a copied token) with one line, beside the running server; the room sees it leave', async () => {
    const s = await serve();
    const stolen = await loginAndDrop(s.port, { password: 'correct horse' });
    const thief = await login(s.port, { token: stolen });
    expect(thief.welcome).toBeDefined();
    const bob = await Wire.hello(s.port, 'bob');
    wires.push(bob);
    await bob.next((f) => f.type === 'welcome');
    expect(await admin(['passwd', 'alice', '--db', s.store.file], 'battery staple\n')).toMatchObject({ code: 0 });
    const told = await thief.w.next<Err>((f) => f.type === 'error', 5000);
    expect(told).toMatchObject({ code: 'session_revoked', message: 'the password of alice was changed; this session is closed: log in again with the new password' });
    expect(told.message).not.toContain('\n');
    await thief.w.waitClosed();
    expect(await bob.next((f) => f.type === 'left')).toMatchObject({ name: 'alice', reason: 'kicked' });
    // Its client reconnects with the token it holds: refused, and so is the old password.
    expect((await login(s.port, { token: thief.welcome!.token! })).error?.code).toBe('bad_token');
    expect((await login(s.port, { password: 'correct horse' })).error?.code).toBe('login_failed');
    // The owner, with the new password, stays connected through the next ticks.
    const owner = await login(s.port, { password: 'battery staple' });
    expect(owner.welcome).toBeDefined();
    await new Promise((r) => setTimeout(r, 1500));
    await owner.w.sync();
    expect(owner.w.closed).toBe(false);
  });

  it('`user remove` disconnects the removed account\'s live connection too', async () => {
    const s = await serve();
    const alice = await login(s.port, { password: 'correct horse' });
    expect(await admin(['remove', 'alice', '--db', s.store.file], '')).toMatchObject({ code: 0 });
    expect(await alice.w.next<Err>((f) => f.type === 'error', 5000)).toMatchObject({
      code: 'session_revoked',
      message: "the account alice was removed by the server's operator; this session is closed",
    });
    await alice.w.waitClosed();
  });
});

describe('/password on this server', () => {
  it('keeps the connection that changed it (the server notices no outside change)', async () => {
    const s = await serve();
    const { w } = await login(s.port, { password: 'correct horse' });
    expect(await ask(w, { type: 'password', old: 'correct horse', password: 'battery staple' }, 'pw')).toMatchObject({ type: 'password_changed' });
    await new Promise((r) => setTimeout(r, 1500));
    await w.sync();
    expect(w.closed).toBe(false);
  });
});

describe('a password changed while a login is checked', () => {
  it('the old password, checked against the old hash meanwhile, opens no session', async () => {
    const store = new Store(tempDb());
    const real = new PasswordHasher(FAST_SCRYPT);
    store.addUser('alice', 'alice', await real.hash('correct horse'), Date.now());
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The operator's `user passwd` lands between the hash check and its answer.
    const slow = Object.assign(Object.create(real) as PasswordHasher, {
      verify: async (...args: Parameters<PasswordHasher['verify']>) => {
        const ok = await real.verify(...args);
        await held;
        return ok;
      },
    });
    const accounts = new Accounts(store, slow, { mode: 'optional', blockDurationS: 60 });
    const pending = accounts.login('alice', 'correct horse', '127.0.0.1');
    store.setHash('alice', await real.hash('battery staple'));
    store.dropSessionsOf('alice');
    release();
    expect(await pending).toMatchObject({ ok: false, code: 'login_failed' });
    expect(store.sessionsOf('alice', Date.now())).toEqual([]);
    store.close();
  });
});

describe('administrator rights won with oper rest on the account', () => {
  /** A guest, connected with protocol version 2 (rooms). */
  async function guest(port: number, name: string): Promise<Wire> {
    const w = await Wire.hello(port, name, { version: 2 });
    wires.push(w);
    await w.next((f) => f.type === 'welcome');
    return w;
  }

  /** `w` opers as the administrator alice with `password`. */
  async function operAsAlice(w: Wire, password: string, ref: string): Promise<void> {
    expect(await ask(w, { type: 'oper', name: 'alice', password }, ref)).toMatchObject({ type: 'oper', name: 'alice' });
  }

  const REVOKED = 'you are no longer a server administrator: ';

  it('`user passwd` beside the running server ends them: one line, then kill and close are refused; the new password wins them again', async () => {
    const s = await serve();
    s.store.setAdmin('alice', true);
    const dave = await guest(s.port, 'dave');
    const bob = await guest(s.port, 'bob');
    dave.send({ type: 'join', room: '#doomed' });
    await dave.next((f) => f.type === 'room' && f.room === '#doomed');
    await operAsAlice(dave, 'correct horse', 'o1');
    expect(await admin(['passwd', 'alice', '--db', s.store.file], 'battery staple\n')).toMatchObject({ code: 0 });
    const told = await dave.next<Err>((f) => f.type === 'error', 5000);
    expect(told).toMatchObject({ code: 'admin_revoked', message: `${REVOKED}the password of alice was changed (/oper again with the new one)` });
    expect(await ask(dave, { type: 'kill', name: 'bob' }, 'k1')).toMatchObject({ type: 'error', code: 'not_operator' });
    expect(await ask(dave, { type: 'close', room: '#doomed' }, 'c1')).toMatchObject({ type: 'error', code: 'not_operator' });
    expect(dave.closed).toBe(false);
    await operAsAlice(dave, 'battery staple', 'o2');
    dave.send({ type: 'kill', name: 'bob', reason: 'test' });
    expect(await bob.next((f) => f.type === 'error')).toMatchObject({ code: 'killed' });
  });

  it('the owner\'s /password, `user admin --off` and `user remove` end them too; the owner keeps their own rights after /password', async () => {
    const s = await serve();
    s.store.setAdmin('alice', true);
    const dave = await guest(s.port, 'dave');
    const bob = await guest(s.port, 'bob');
    await operAsAlice(dave, 'correct horse', 'o1');
    const alice = await login(s.port, { password: 'correct horse' });
    expect(await ask(alice.w, { type: 'password', old: 'correct horse', password: 'battery staple' }, 'pw')).toMatchObject({ type: 'password_changed' });
    expect(await dave.next<Err>((f) => f.type === 'error', 5000)).toMatchObject({ code: 'admin_revoked', message: `${REVOKED}the password of alice was changed (/oper again with the new one)` });
    expect(await ask(dave, { type: 'kill', name: 'bob' }, 'k1')).toMatchObject({ type: 'error', code: 'not_operator' });
    // alice, logged in to the administrator account, proved the new password herself.
    await alice.w.sync();
    expect(alice.w.frames.some((f) => f.type === 'error' && f.code === 'admin_revoked')).toBe(false);
    await operAsAlice(dave, 'battery staple', 'o2');
    expect(await admin(['admin', 'alice', '--off', '--db', s.store.file], '')).toMatchObject({ code: 0 });
    expect(await dave.next<Err>((f) => f.type === 'error', 5000)).toMatchObject({ message: `${REVOKED}alice is no longer a server administrator` });
    expect(await alice.w.next<Err>((f) => f.type === 'error', 5000)).toMatchObject({ code: 'admin_revoked', message: `${REVOKED}alice is no longer a server administrator` });
    expect(await ask(alice.w, { type: 'kill', name: 'bob' }, 'k2')).toMatchObject({ type: 'error', code: 'not_operator' });
    s.store.setAdmin('alice', true);
    await operAsAlice(dave, 'battery staple', 'o3');
    expect(await admin(['remove', 'alice', '--db', s.store.file], '')).toMatchObject({ code: 0 });
    expect(await dave.next<Err>((f) => f.type === 'error', 5000)).toMatchObject({ code: 'admin_revoked', message: `${REVOKED}the account alice was removed` });
    expect(await ask(dave, { type: 'kill', name: 'bob' }, 'k3')).toMatchObject({ type: 'error', code: 'not_operator' });
    expect(bob.closed).toBe(false);
  });
});
