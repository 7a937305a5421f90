import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { ParleyError } from '../../src/tui/core/errors.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session } from '../../src/tui/core/session.js';
import { formatPlain, runPlain } from '../../src/tui/plain.js';
import { addUser, startTestServer, tempDb, type TestServer } from '../server/helpers.js';

// The client side of accounts: what line mode prints for the new events, and the login, /register and
// "logged in elsewhere" flows through the real Session against a real server and database file.

const line = (ev: ChatEvent) => formatPlain(ev)?.line;
const at = new Date(2024, 0, 2, 9, 5, 7).getTime();

describe('line mode format', () => {
  it('marks history, late whispers, stored whispers and blocks', () => {
    expect(line({ kind: 'message', id: 1, from: 'bob', text: 'hi', time: at, action: false, own: false, mention: false, history: true })).toBe('09:05:07 [history] <bob> hi');
    expect(line({ kind: 'whisper', id: 2, from: 'bob', to: 'al', text: 'psst', time: at, outgoing: false, late: true })).toBe('09:05:07 [late] *bob* psst');
    expect(line({ kind: 'whisper', id: 3, from: 'al', to: 'bob', text: 'later', time: at, outgoing: true, stored: true })).toBe(
      '09:05:07 -> *bob* later [stored: bob is offline and gets it at next login]',
    );
    expect(line({ kind: 'blocks', names: ['eve', 'mallory'] })).toBe('* blocked: eve, mallory');
    expect(line({ kind: 'blocks', names: [] })).toBe('* you block no one');
    expect(line({ kind: 'seen', users: [{ name: 'bob', online: true }] })).toBe('* online (1): bob');
    expect(line({ kind: 'seen', users: [{ name: 'bob', online: true }, { name: 'carol', online: false, lastSeen: at }], since: 3600 })).toBe(
      '* online or seen in the last 3600 s (2): bob, carol (last seen 2024-01-02 09:05:07)',
    );
    expect(line({ kind: 'welcome', name: 'al', users: ['al'], motd: 'm', server: 's', account: true, blocked: ['eve'] })).toBe(
      '* connected to s as al (logged in)\n* m\n* users (1): al\n* blocked: eve',
    );
  });
});

describe('ClientCore commands', () => {
  it('turns the new commands into requests and /register into a password request', () => {
    const core = new ClientCore('al', 'plain');
    expect(core.input('/whoelse').send).toMatchObject([{ type: 'whoelse' }]);
    expect(core.input('/whoelsesince 3600').send).toMatchObject([{ type: 'whoelse', since: 3600 }]);
    expect(core.input('/whoelsesince soon').events).toMatchObject([{ kind: 'error', text: expect.stringContaining('usage: /whoelsesince <seconds>') }]);
    expect(core.input('/block eve').send).toMatchObject([{ type: 'block', name: 'eve' }]);
    expect(core.input('/block').send).toEqual([{ type: 'block', ref: expect.any(String) }]);
    expect(core.input('/unblock eve').send).toMatchObject([{ type: 'unblock', name: 'eve' }]);
    expect(core.input('/register')).toEqual({ send: [], events: [], needPassword: 'register' });
    expect(core.input('/register secret').events).toMatchObject([{ kind: 'error', text: 'usage: /register (too many words)' }]);
  });

  it('keeps the token from the welcome and resumes with it; a password replaces it when asked', () => {
    const core = new ClientCore('al', 'plain');
    core.receive({ type: 'welcome', version: 1, name: 'al', users: ['al'], motd: '', account: true, token: 'T' }, 's');
    expect(core.hello()).toMatchObject({ type: 'hello', token: 'T' });
    expect(core.hello('pw')).toEqual({ type: 'hello', name: 'al', version: 2, grouped: true, usersOnce: true, ref: 'hello', password: 'pw' });
  });
});

describe('Session with accounts', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });

  async function plain(port: number, name: string, input: string, password?: string) {
    const lines: string[] = [];
    const errs: string[] = [];
    const stdin = new PassThrough();
    stdin.end(input);
    const run = runPlain({ name, host: '127.0.0.1', port, json: false, input: stdin, out: (l) => lines.push(l), err: (l) => errs.push(l), hint: false, ...(password !== undefined && { password }) });
    return { code: await run, lines, errs };
  }

  it('line mode logs in with the password when the server asks, and fails cleanly without one', async () => {
    const s = await startTestServer(tempDb());
    servers.push(s);
    await addUser(s.store, 'alice', 'wonderland');
    const ok = await plain(s.port, 'alice', 'hello\n', 'wonderland');
    expect(ok.lines[0]!.split("\n")[0]).toBe(`* connected to 127.0.0.1:${s.port} as alice (logged in)`);
    const none = plain(s.port, 'alice', '');
    await expect(none).rejects.toThrow(ParleyError);
    await expect(none).rejects.toMatchObject({ code: 'auth_failed', message: 'the name alice is registered: log in with alice\'s password (set PARLEY_PASSWORD or use --password-file)' });
    await expect(plain(s.port, 'alice', '', 'not it at all')).rejects.toMatchObject({ code: 'auth_failed', message: 'wrong name or password; try again' });
  });

  it('line mode /register claims the name; the next login needs the password', async () => {
    const s = await startTestServer(tempDb());
    servers.push(s);
    const reg = await plain(s.port, 'dora', '/register\n', 'explorer1');
    expect(reg.lines).toContain('* registered dora: from now on this name needs its password');
    await expect(plain(s.port, 'dora', '')).rejects.toMatchObject({ code: 'auth_failed' });
    expect((await plain(s.port, 'dora', '', 'explorer1')).lines[0]).toContain('as dora (logged in)');
  });

  it('a second login ends the first session as signed out, without reconnecting', async () => {
    const s = await startTestServer(tempDb());
    servers.push(s);
    await addUser(s.store, 'alice', 'wonderland');
    const events: ChatEvent[] = [];
    const first = new Session({ name: 'alice', host: '127.0.0.1', port: s.port, mode: 'tui', reconnect: true, askPassword: async () => 'wonderland' }, (e) => events.push(e));
    await first.start();
    const second = new Session({ name: 'alice', host: '127.0.0.1', port: s.port, mode: 'tui', askPassword: async () => 'wonderland' }, () => {});
    await second.start();
    await expect(first.done).rejects.toMatchObject({ code: 'signed_out', message: 'alice logged in from another location; this session is closed' });
    expect(events.filter((e) => e.kind === 'signed_out')).toEqual([{ kind: 'signed_out', reason: 'replaced', text: 'alice logged in from another location; this session is closed' }]);
    expect(events.some((e) => e.kind === 'status' && e.status === 'reconnecting')).toBe(false);
    await second.quit();
  });
});
