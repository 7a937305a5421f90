import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session, type PasswordRequest } from '../../src/tui/core/session.js';
import { formatPlain, runPlain } from '../../src/tui/plain.js';
import { addUser, startTestServer, tempDb, Wire, type TestServer } from '../server/helpers.js';

// The client's side of token hygiene (issue 10, item 3): it keeps the token each resume rotates (so its
// next reconnect works and the old token is dead), and /sessions, /logout and /password in line mode and
// through the Session the full screen uses, against a real server.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(20)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

describe('ClientCore and token commands', () => {
  it('keeps the rotated token of each welcome; /logout asks for the password only after a resume', () => {
    const core = new ClientCore('al', 'plain');
    expect(core.input('/sessions').events).toMatchObject([{ kind: 'error', text: expect.stringContaining('you are a guest') }]);
    core.hello('pw');
    core.receive({ type: 'welcome', version: 2, name: 'al', users: ['al'], motd: '', account: true, token: 'T1' }, 's');
    expect(core.input('/sessions').send).toMatchObject([{ type: 'sessions' }]);
    expect(core.input('/logout all').send).toMatchObject([{ type: 'logout', all: true }]);
    expect(core.input('/logout 0a1b2c3d').send).toMatchObject([{ type: 'logout', session: '0a1b2c3d' }]);
    expect(core.input('/logout me!').events).toMatchObject([{ kind: 'error', text: 'usage: /logout <id|all> (the id of a login as /sessions lists it, or "all")' }]);
    expect(core.input('/password')).toEqual({ send: [], events: [], needPassword: 'password' });
    // After a reconnect the hello carries the token; the welcome's new one replaces it.
    expect(core.hello()).toMatchObject({ token: 'T1' });
    core.receive({ type: 'welcome', version: 2, name: 'al', users: ['al'], motd: '', account: true, token: 'T2' }, 's');
    expect(core.token).toBe('T2');
    expect(core.input('/logout all')).toEqual({ send: [], events: [], needPassword: 'logout', logout: 'all' });
    expect(core.logout('all', 'pw')).toMatchObject({ type: 'logout', all: true, password: 'pw' });
  });

  it('line mode words for /sessions, /logout and /password', () => {
    const at = new Date(2024, 0, 2, 9, 5, 7).getTime();
    const line = (ev: ChatEvent) => formatPlain(ev)?.line;
    expect(line({ kind: 'sessions', sessions: [{ id: '0a1b2c3d', created: at, lastUsed: at, from: '127.0.0.1', current: true }, { id: 'ffee0011', created: at, lastUsed: at + 60_000, from: '10.0.0.7' }, { id: '12345678' }] })).toBe(
      [
        '* logins of your account (3):',
        '*   0a1b2c3d (this one) since 2024-01-02 09:05:07 from 127.0.0.1',
        '*   ffee0011 since 2024-01-02 09:05:07, last resumed 2024-01-02 09:06:07 from 10.0.0.7',
        '*   12345678 since before this server kept times',
        '* end one with /logout ID, all the others with /logout all',
      ].join('\n'),
    );
    expect(line({ kind: 'sessions', sessions: [{ id: '0a1b2c3d', current: true }], ended: 2 })).toBe('* ended 2 logins\n* logins of your account (1):\n*   0a1b2c3d (this one) since before this server kept times');
    expect(line({ kind: 'password_changed', ended: 1 })).toBe('* password changed; every login of your account ended (1, this one included); this one goes on with a new token');
  });
});

describe('against a real server', () => {
  it('the full-screen session stores the rotated token: it reconnects with it twice, and the token it used first is refused', async () => {
    const db = tempDb();
    let s = await startTestServer(db);
    await addUser(s.store, 'alice', 'wonderland');
    const port = s.port;
    const asked: PasswordRequest[] = [];
    const events: ChatEvent[] = [];
    const session = new Session({ name: 'alice', host: '127.0.0.1', port, mode: 'tui', reconnect: true, backoffMs: [100], askPassword: async (r) => (asked.push(r), 'wonderland') }, (e) => events.push(e));
    await session.start();
    const first = session.core.token!;
    const welcomes = () => events.filter((e) => e.kind === 'welcome').length;
    try {
      for (let round = 2; round <= 3; round++) {
        await s.stop(); // the connection drops; the client reconnects with its token
        s = await startTestServer(db, { port });
        await until(`welcome ${round}`, () => welcomes() === round);
      }
      expect(asked).toHaveLength(1); // the password once, at the start; both reconnects used tokens
      expect(session.core.token).not.toBe(first);
      const replay = await Wire.hello(port, 'alice', { token: first });
      expect(await replay.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_token' });
      replay.close();
    } finally {
      await session.quit();
      await s.stop();
    }
  });

  it('line mode on a terminal: /password asks the current and the new password without echo, /sessions then lists this login only', async () => {
    const s = await startTestServer(tempDb());
    servers.push(s);
    await addUser(s.store, 'dora', 'explorer1');
    // Another device's login, still valid.
    const other = await Wire.hello(s.port, 'dora', { password: 'explorer1' });
    const otherToken = ((await other.next((f) => f.type === 'welcome')) as { token: string }).token;
    other.close();
    const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: (on: boolean) => ((input.isRaw = on), input) });
    let shown = '';
    const output = new PassThrough();
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const out: string[] = [];
    const done = runPlain({ name: 'dora', host: '127.0.0.1', port: s.port, json: false, input, out: (l) => out.push(l), err: (l) => out.push(l), hint: false, terminal: { input, output }, password: 'explorer1' });
    await until('welcome', () => out.some((l) => l.includes('as dora (logged in)')));
    input.write('/password\n');
    // The current password comes from PARLEY_PASSWORD here; the new one is asked twice without echo.
    await until('new password prompt', () => shown.includes('new password for dora: '));
    expect(input.isRaw).toBe(true);
    input.write('pathfinder2\r');
    await until('again prompt', () => shown.includes('new password for dora again: '));
    input.write('pathfinder2\r');
    await until('changed', () => out.some((l) => l.startsWith('* password changed')));
    expect(out).toContain('* password changed; every login of your account ended (2, this one included); this one goes on with a new token');
    input.write('/sessions\n');
    await until('sessions', () => out.some((l) => l.startsWith('* logins of your account')));
    expect(out.find((l) => l.startsWith('* logins of your account'))).toMatch(/^\* logins of your account \(1\):\n\*   [0-9a-f]{8} \(this one\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d from 127\.0\.0\.1$/);
    expect(shown + out.join('\n')).not.toContain('pathfinder2');
    input.end();
    expect(await done).toBe(0);
    const stale = await Wire.hello(s.port, 'dora', { token: otherToken });
    expect(await stale.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_token' });
    stale.close();
  });

  it('line mode in a pipe: /logout all after a password login ends the other logins', async () => {
    const s = await startTestServer(tempDb());
    servers.push(s);
    await addUser(s.store, 'alice', 'wonderland');
    for (let i = 0; i < 2; i++) {
      const w = await Wire.hello(s.port, 'alice', { password: 'wonderland' });
      await w.next((f) => f.type === 'welcome');
      w.close();
      await w.waitClosed();
    }
    const input = new PassThrough();
    input.end('/logout all\n');
    const out: string[] = [];
    const code = await runPlain({ name: 'alice', host: '127.0.0.1', port: s.port, json: false, input, out: (l) => out.push(l), err: (l) => out.push(l), hint: false, password: 'wonderland' });
    expect(code).toBe(0);
    expect(out.find((l) => l.startsWith('* ended'))).toMatch(/^\* ended 2 logins\n\* logins of your account \(1\):\n\*   [0-9a-f]{8} \(this one\) since /);
  });
});
