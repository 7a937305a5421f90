import { afterEach, describe, expect, test } from 'vitest';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session, type SessionOptions } from '../../src/tui/core/session.js';
import { renderTui, KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { addUser, startTestServer, tempDb, Wire, type TestServer } from '../server/helpers.js';
import { until } from '../helpers/until.js';
import { CLIENT, run } from '../helpers/cli.js';

// Issue 11, the reconnect items: what a full-screen client (and a --reconnect line-mode client) shows when
// its connection drops or the server restarts under it. Real server, real database file, real Session.

process.env.TZ = 'UTC';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(db = tempDb(), o: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer & { db: string }> {
  const s = await startTestServer(db, o);
  let stopped = false;
  const stop = s.stop.bind(s);
  const t = Object.assign(s, {
    db,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  });
  cleanups.push(() => t.stop());
  return t;
}

/** The server goes down and comes back on the same port over the same database. */
async function restart(s: TestServer & { db: string }, o: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer & { db: string }> {
  await s.stop();
  return server(s.db, { ...o, port: s.port });
}

async function talker(port: number, name: string): Promise<Wire> {
  const w = await Wire.hello(port, name);
  cleanups.push(() => w.close());
  return w;
}

async function say(w: Wire, texts: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const text of texts) {
    const ref = `r-${text}`;
    w.send({ type: 'say', text, ref });
    const echo = await w.next<Extract<ServerMessage, { type: 'message' }>>((f) => f.type === 'message' && f.ref === ref);
    ids.push(echo.id);
  }
  return ids;
}

/** A full-screen client on a headless terminal, wired to a real Session as the app wires them. */
function fullScreen(port: number, name: string, extra: Partial<SessionOptions> = {}): { t: RenderedTui; s: Session; events: ChatEvent[] } {
  const events: ChatEvent[] = [];
  let t: RenderedTui | undefined;
  const s = new Session({ name, host: '127.0.0.1', port, mode: 'tui', reconnect: true, backoffMs: [400], ...extra }, (e) => {
    events.push(e);
    t?.ui.event(e);
  });
  t = renderTui({ cols: 150, rows: 40, me: name, ui: { onLine: (line) => s.input(line) } });
  cleanups.push(() => t!.cleanup());
  cleanups.push(() => s.destroy());
  return { t, s, events };
}

const count = (frame: string, text: string) => frame.split('\n').filter((row) => row.includes(text)).length;

describe('a reconnect adds only what was missed (item 2)', () => {
  test('hello.last: a gap of k messages is replayed as k frames, whatever the history size', async () => {
    const s = await server(tempDb(), { historySize: 50 });
    const bob = await talker(s.port, 'bob');
    const ids = await say(
      bob,
      Array.from({ length: 40 }, (_, i) => `m${i + 1}`),
    );
    for (const k of [0, 1, 7, 39]) {
      const w = await Wire.connect(s.port);
      cleanups.push(() => w.close());
      w.send({ type: 'hello', name: `late${k}`, version: 2, ref: 'hello', last: [{ room: '#lobby', id: ids[39 - k]! }] });
      await w.seen((f) => f.type === 'welcome');
      await w.sync();
      const replayed = w.frames.filter((f) => f.type === 'message' && f.history === true);
      expect(replayed.map((f) => (f as { text: string }).text), `gap of ${k}`).toEqual(ids.slice(40 - k).map((_, i) => `m${41 - k + i}`));
    }
    // Without `last`, a newcomer gets the whole history, as before.
    const fresh = await Wire.connect(s.port);
    cleanups.push(() => fresh.close());
    fresh.send({ type: 'hello', name: 'fresh', version: 2, ref: 'hello' });
    await fresh.seen((f) => f.type === 'welcome');
    await fresh.sync();
    expect(fresh.frames.filter((f) => f.type === 'message' && f.history === true)).toHaveLength(40);
  });

  test('a malformed hello.last is refused as invalid_message, not half-applied', async () => {
    const s = await server();
    for (const last of [5, [{ id: -1 }], [{ id: 1.5 }], [{ room: 7, id: 1 }], Array.from({ length: 51 }, () => ({ id: 1 }))]) {
      const w = await Wire.connect(s.port);
      cleanups.push(() => w.close());
      w.send({ type: 'hello', name: 'odd', version: 2, ref: 'hello', last });
      const reply = await w.next((f) => f.type === 'error' || f.type === 'welcome');
      expect(reply, JSON.stringify(last)).toMatchObject({ type: 'error', code: 'invalid_message' });
    }
  });

  test('the server restarts under a full-screen client: one "reconnected" line, then only the lines it missed, each once', async () => {
    let s = await server();
    const { t, s: alice, events } = fullScreen(s.port, 'alice');
    await alice.start();
    const bob = await talker(s.port, 'bob');
    await say(bob, ['before one', 'before two', 'before three']);
    await until(() => t.lastFrame().includes('before three'));
    await t.keys('mine before' + KEY.enter);
    await until(() => events.some((e) => e.kind === 'message' && e.own));

    s = await restart(s);
    const bob2 = await talker(s.port, 'bob');
    await say(bob2, ['gap one', 'gap two']);
    await until(() => t.lastFrame().includes('gap two') && alice.isConnected);
    await bob2.sync();
    await new Promise((r) => setTimeout(r, 200));

    const frame = t.lastFrame();
    for (const line of ['before one', 'before two', 'before three', 'mine before', 'gap one', 'gap two']) expect(count(frame, line), `${line}\n${frame}`).toBe(1);
    expect(count(frame, 'reconnected to'), frame).toBe(1);
    expect(count(frame, 'connected to'), frame).toBe(2); // the first greeting and the one reconnected line
    expect(count(frame, 'Welcome to parley'), frame).toBeLessThanOrEqual(1);
    // The wire: after the reconnect the server sent the 2 missed lines, not the 6 it keeps.
    const welcomes = events.flatMap((e, i) => (e.kind === 'welcome' ? [i] : []));
    expect(welcomes).toHaveLength(2);
    const after = events.slice(welcomes[1]!).filter((e) => e.kind === 'message');
    expect(after.map((e) => (e as { text: string }).text)).toEqual(['gap one', 'gap two']);
  });

  test('a replay of lines already shown (a server that ignores hello.last) adds none of them', async () => {
    const t = renderTui({ cols: 80, rows: 24 });
    cleanups.push(() => t.cleanup());
    const { ClientCore } = await import('../../src/tui/core/core.js');
    const core = new ClientCore('alice', 'tui');
    const feed = (m: object) => t.events(...core.receive(m as ServerMessage, '127.0.0.1:7777'));
    const welcome = { type: 'welcome', version: 2, name: 'alice', users: ['alice', 'bob'], motd: 'hi there', session: 'S', rooms: ['#lobby'] };
    await feed(welcome);
    await feed({ type: 'room', room: '#lobby', users: ['alice', 'bob'], operators: [] });
    for (let id = 1; id <= 3; id++) await feed({ type: 'message', room: '#lobby', id, from: 'bob', text: `line ${id}`, time: 1000 * id });
    expect(core.hello()).toMatchObject({ last: [{ room: '#lobby', id: 3 }] });
    await feed(welcome);
    await feed({ type: 'room', room: '#lobby', users: ['alice', 'bob'], operators: [] });
    for (let id = 1; id <= 4; id++) await feed({ type: 'message', room: '#lobby', id, from: 'bob', text: `line ${id}`, time: 1000 * id, history: true });
    const frame = t.lastFrame();
    for (let id = 1; id <= 4; id++) expect(count(frame, `line ${id}`), frame).toBe(1);
    expect(count(frame, 'reconnected to 127.0.0.1:7777 as alice')).toBe(1);
    expect(count(frame, 'hi there')).toBe(1);
  });
});

describe('every line typed while disconnected ends in exactly one final state (item 3)', () => {
  test('after a restart: the room line is sent, the whisper to an offline account is stored, the one to a guest who left fails with the reason', async () => {
    let s = await server();
    await addUser(s.store, 'dora', 'explorer1');
    const { t, s: alice, events } = fullScreen(s.port, 'alice');
    await alice.start();
    await talker(s.port, 'carol');
    await until(() => t.lastFrame().includes('carol has joined'));
    await s.stop();
    await until(() => events.some((e) => e.kind === 'status' && e.status === 'reconnecting'));
    for (const line of ['hello all', '/w carol are you there', '/w dora for later']) await t.keys(line + KEY.enter);
    expect(count(t.lastFrame(), '(not sent yet)')).toBe(3);
    s = await server(s.db, { port: s.port });
    await until(() => !t.lastFrame().includes('(not sent yet)'), 8000, `every line settled:\n${t.lastFrame()}`);
    const frame = t.lastFrame();
    expect(frame).toMatch(/\d\d:\d\d <alice> hello all/);
    expect(frame).toContain('→ *carol* are you there (not sent: no one called "carol" is here; /list shows who is)');
    expect(frame).toContain('→ *dora* for later (stored: delivered when they log in)');
    // Exactly one state each: no line is shown twice.
    for (const text of ['hello all', 'are you there', 'for later']) expect(count(frame, text), frame).toBe(1);
  });

  test('a session that ends for good turns what still waits into failed lines, with the reason', async () => {
    const t = renderTui({ cols: 150, rows: 24 });
    cleanups.push(() => t.cleanup());
    await t.events(
      { kind: 'welcome', name: 'alice', users: ['alice'], motd: '', server: '127.0.0.1:7777', account: false, blocked: [] },
      { kind: 'status', status: 'reconnecting', detail: 'connection lost' },
      { kind: 'pending', ref: 'a', text: 'still here?', action: false },
      { kind: 'pending', ref: 'b', text: 'psst', to: 'bob', action: false },
      { kind: 'status', status: 'disconnected', detail: "refused 127.0.0.1:7777: its key is not the one you trust" },
    );
    const frame = t.lastFrame();
    expect(frame).not.toContain('not sent yet');
    expect(frame).toContain("<alice> still here? (not sent: refused 127.0.0.1:7777: its key is not the one you trust)");
    expect(frame).toContain("→ *bob* psst (not sent: refused 127.0.0.1:7777: its key is not the one you trust)");
  });
});

describe('name taken while away (item 4)', () => {
  test('one refusal line, no retrying past the window, and /nick NEW typed while disconnected is the name that comes back', async () => {
    // The server's ping interval and timeout bound how long our own dead connection could hold the name.
    let s = await server(tempDb(), { pingIntervalMs: 1000, pingTimeoutMs: 2000 });
    const { t, s: zed, events } = fullScreen(s.port, 'zed', { backoffMs: [3000, 300] });
    await zed.start();
    await s.stop();
    s = await server(s.db, { port: s.port, pingIntervalMs: 1000, pingTimeoutMs: 2000 });
    // A real client: it answers the server's pings.
    const seenByThief: ChatEvent[] = [];
    const thief = new Session({ name: 'zed', host: '127.0.0.1', port: s.port, mode: 'plain' }, (e) => seenByThief.push(e));
    cleanups.push(() => thief.destroy());
    await thief.start();
    await until(() => events.some((e) => e.kind === 'status' && e.status === 'reconnecting'));
    await t.keys('still there?' + KEY.enter);
    await until(() => events.some((e) => e.kind === 'status' && e.status === 'refused'), 8000, `reconnecting stopped: ${JSON.stringify(events.filter((e) => e.kind === 'status' || e.kind === 'error' || e.kind === 'welcome'))}`);
    const stoppedAt = events.length;
    await new Promise((r) => setTimeout(r, 1500));
    // Stopped for good: no more attempts (each would say "reconnecting" again).
    expect(events.slice(stoppedAt).filter((e) => e.kind === 'status')).toEqual([]);
    let frame = t.lastFrame();
    expect(count(frame, 'refused the name "zed"'), frame).toBe(1);
    expect(frame).toContain('/nick NEW to come back under another name');
    expect(frame.split('\n').at(-1)).toContain('not reconnecting: "zed" was refused; /nick NEW to come back');
    expect(frame).toContain('still there? (not sent yet)');

    await t.keys('/nick zed2' + KEY.enter);
    await until(() => t.lastFrame().includes('reconnected to') && !t.lastFrame().includes('not sent yet'), 8000, 'back as zed2');
    frame = t.lastFrame();
    expect(frame).toContain(`reconnected to 127.0.0.1:${s.port} as zed2`);
    expect(count(frame, 'connection lost; reconnecting'), frame).toBe(1);
    expect(frame).toMatch(/\d\d:\d\d <zed2> still there\?/);
    await until(() => seenByThief.some((e) => e.kind === 'message' && e.from === 'zed2' && e.text === 'still there?'), 8000, 'the room heard zed2');
  });

  test('/nick with a name that cannot work is refused at once while disconnected', async () => {
    let s = await server();
    const { t, s: zed, events } = fullScreen(s.port, 'zed', { backoffMs: [5000] });
    await zed.start();
    await s.stop();
    await until(() => events.some((e) => e.kind === 'status' && e.status === 'reconnecting'));
    await t.keys('/nick bad!name' + KEY.enter);
    expect(t.lastFrame()).toMatch(/"bad!name" is not a valid name/);
    expect(zed.core.name).toBe('zed');
  });
});

describe('blocks survive the client\'s own reconnect (item 5)', () => {
  test('a guest blocks bob; after the server restarts and the client reconnects, bob is still blocked: no replay, no line, no whisper', async () => {
    let s = await server();
    const { t, s: alice, events } = fullScreen(s.port, 'alice');
    await alice.start();
    const bob = await talker(s.port, 'bob');
    await say(bob, ['before the block']);
    await until(() => t.lastFrame().includes('before the block'));
    await t.keys('/block bob' + KEY.enter);
    await until(() => events.some((e) => e.kind === 'blocks'));
    await say(bob, ['after the block']);

    s = await restart(s);
    const bob2 = await talker(s.port, 'bob');
    await until(() => alice.isConnected && t.lastFrame().includes('reconnected to'), 8000);
    await say(bob2, ['after the restart']);
    bob2.send({ type: 'whisper', to: 'alice', text: 'psst', ref: 'w' });
    const refused = await bob2.next((f) => 'ref' in f && f.ref === 'w');
    expect(refused).toMatchObject({ type: 'error', code: 'not_delivered' });
    await bob2.sync();
    await new Promise((r) => setTimeout(r, 200));
    const frame = t.lastFrame();
    expect(frame).not.toContain('after the block');
    expect(frame).not.toContain('after the restart');
    expect(frame).not.toContain('psst');
    expect(events.some((e) => e.kind === 'whisper' || (e.kind === 'message' && e.from === 'bob' && e.text !== 'before the block'))).toBe(false);
    expect(alice.core.blocked).toEqual(['bob']);
    expect(t.ui.state.users).toEqual(['alice']);
  });
});

describe('the users pane shows what the server says (item 6)', () => {
  test('/block takes bob out of the pane at once; his rename leaves no phantom; /unblock brings him back at once', async () => {
    const s = await server();
    const { t, s: alice, events } = fullScreen(s.port, 'alice');
    await alice.start();
    const bob = await talker(s.port, 'bob');
    await talker(s.port, 'carol');
    await until(() => t.ui.state.users.length === 3);

    await t.keys('/block bob' + KEY.enter);
    await until(() => events.some((e) => e.kind === 'blocks'));
    await until(() => !t.ui.state.users.includes('bob'), 2000, 'bob gone from the pane');
    expect(t.ui.state.users).toEqual(['alice', 'carol']);
    expect(t.lastFrame()).toContain('Users (2)');

    bob.send({ type: 'nick', name: 'bobby', ref: 'n' });
    await bob.next((f) => 'ref' in f && f.ref === 'n');
    await bob.sync();
    await new Promise((r) => setTimeout(r, 200));
    // The blocker hears nothing of it (server tests: "the blocker receives nothing"), and no old name stays.
    expect(t.ui.state.users).toEqual(['alice', 'carol']);
    await t.keys('/block' + KEY.enter);
    await until(() => t.lastFrame().includes('blocked: bobby'), 2000, 'the block followed the rename');
    // Completion offers no name that nobody has.
    await t.keys('/w bo' + KEY.tab);
    expect(t.lastFrame()).toMatch(/alice> \/w bo +\n/);
    await t.keys('\x15'); // Ctrl+U

    await t.keys('/unblock bobby' + KEY.enter);
    await until(() => t.ui.state.users.includes('bobby'), 2000, 'bobby back in the pane');
    expect(t.ui.state.users).toEqual(['alice', 'bobby', 'carol']);
    expect(count(t.lastFrame(), 'users (')).toBe(0); // an update, not a /list answer said in the room
  });
});

/**
 * alice (password `wonderland`, added here) in line mode on `s`, logged in: the lines it printed, and how
 * its run ended (the exit code main.ts would give, and the one line it would print).
 */
async function lineModeAlice(s: TestServer): Promise<{ lines: string[]; ended: Promise<{ exitCode: number | undefined; message: string }> }> {
  const { PassThrough } = await import('node:stream');
  const { runPlain } = await import('../../src/tui/plain.js');
  const { EXIT_CODES } = await import('../../src/tui/core/errors.js');
  await addUser(s.store, 'alice', 'wonderland');
  const lines: string[] = [];
  const stdin = new PassThrough();
  cleanups.push(() => stdin.end());
  const run = runPlain({ name: 'alice', host: '127.0.0.1', port: s.port, json: false, input: stdin, out: (l) => lines.push(l), err: (l) => lines.push(l), hint: false, password: 'wonderland' });
  await until(() => s.server.hub.users().includes('alice'), 8000, 'alice logged in');
  const ended = run.then(
    () => ({ exitCode: 0, message: '(ended without an error)' }),
    (e: { code: keyof typeof EXIT_CODES; message: string }) => ({ exitCode: EXIT_CODES[e.code], message: e.message }),
  );
  return { lines, ended };
}

describe('"logged in from another location" (item 11)', () => {
  test('is shown once in the full screen, which then leaves with exit code 7 and the one line', async () => {
    const s = await server();
    await addUser(s.store, 'alice', 'wonderland');
    const { t, s: first, events } = fullScreen(s.port, 'alice', { askPassword: async () => 'wonderland' });
    await first.start();
    const second = new Session({ name: 'alice', host: '127.0.0.1', port: s.port, mode: 'tui', askPassword: async () => 'wonderland' }, () => {});
    cleanups.push(() => second.destroy());
    await second.start();
    await until(() => events.some((e) => e.kind === 'signed_out'));
    await new Promise((r) => setTimeout(r, 200));
    const frame = t.lastFrame();
    expect(count(frame, 'logged in from another location'), frame).toBe(2); // the room line and the status bar
    expect(count(frame.split('\n').slice(0, -1).join('\n'), 'logged in from another location')).toBe(1);
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
  });

  test('the full-screen client exits 7 with one line once the user leaves', async () => {
    const { PassThrough } = await import('node:stream');
    const { runFullScreen } = await import('../../src/tui/app.js');
    const s = await server();
    await addUser(s.store, 'alice', 'wonderland');
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 });
    output.resume();
    const err: string[] = [];
    input.write('wonderland\r'); // the password, asked on the terminal before the screen is up
    const run = runFullScreen({ name: 'alice', host: '127.0.0.1', port: s.port }, { input, output, err: (l) => err.push(l) });
    await until(() => s.server.hub.users().includes('alice'), 8000, 'alice logged in');
    const second = new Session({ name: 'alice', host: '127.0.0.1', port: s.port, mode: 'tui', askPassword: async () => 'wonderland' }, () => {});
    cleanups.push(() => second.destroy());
    await second.start();
    await new Promise((r) => setTimeout(r, 300));
    input.write(KEY.f10);
    expect(await run).toBe(7);
    expect(err).toEqual(['parley: alice logged in from another location; this session is closed']);
  });

  test('line mode prints it once and ends with exit code 7', async () => {
    const s = await server();
    const { ended, lines } = await lineModeAlice(s);
    const second = new Session({ name: 'alice', host: '127.0.0.1', port: s.port, mode: 'plain', askPassword: async () => 'wonderland' }, () => {});
    cleanups.push(() => second.destroy());
    await second.start();
    const end = await ended;
    expect(end.exitCode).toBe(7);
    // main.ts prints the rejection as the one line; nothing before it says it too.
    expect(lines.filter((l) => l.includes('another location'))).toEqual([]);
    expect(end.message).toBe('alice logged in from another location; this session is closed');
  });
});

describe('the password changed by the operator (issue 10)', () => {
  test('line mode prints why once and ends with exit code 7, without reconnecting on the dead token', async () => {
    const { Store } = await import('../../src/server/store.js');
    const s = await server();
    const { ended, lines } = await lineModeAlice(s);
    // What `parley-server user passwd alice` does, from another connection to the file.
    const operator = new Store(s.db);
    operator.setHash('alice', s.store.user('alice')!.hash.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    operator.dropSessionsOf('alice');
    operator.close();
    const end = await ended;
    expect(end.exitCode).toBe(7);
    expect(end.message).toBe('the password of alice was changed; this session is closed: log in again with the new password');
    expect(lines.filter((l) => l.includes('password of alice'))).toEqual([]);
  });
});

describe('line mode for bots: --no-history and --reconnect (item 21)', () => {
  test('--no-history prints no replayed line, and live lines as always', async () => {
    const s = await server();
    const bob = await talker(s.port, 'bob');
    await say(bob, ['from before']);
    const r = run(CLIENT, ['--plain', '--no-history', 'bot', '127.0.0.1', String(s.port)]);
    cleanups.push(() => r.child.kill());
    await r.waitFor(/^\* connected to/);
    await say(bob, ['live now']);
    await r.waitFor(/<bob> live now/);
    r.child.stdin.end();
    expect(await r.exit).toBe(0);
    expect(r.stdout()).not.toContain('from before');
    expect(r.stdout()).not.toContain('[history]');
  });

  test('--reconnect: a server restart costs one line each way; lines typed meanwhile are sent once; no history twice', async () => {
    let s = await server();
    const bob = await talker(s.port, 'bob');
    await say(bob, ['old news']);
    const r = run(CLIENT, ['--plain', '--reconnect', 'bot', '127.0.0.1', String(s.port)]);
    cleanups.push(() => r.child.kill());
    await r.waitFor(/\[history\] <bob> old news/);
    r.child.stdin.write('first\n');
    await r.waitFor(/<bot> first/);

    s = await restart(s);
    const bob2 = await talker(s.port, 'bob');
    r.child.stdin.write('while away\n');
    await say(bob2, ['in the gap']);
    await r.waitFor(/\* reconnected to 127\.0\.0\.1:\d+ as bot/, 15000);
    await r.waitFor(/<bot> while away/, 5000);
    await r.waitFor(/<bob> in the gap/, 5000);
    r.child.stdin.end('last\n');
    expect(await r.exit).toBe(0);
    const out = r.stdout().split('\n');
    for (const text of ['old news', '<bot> first', '<bot> while away', 'in the gap', '<bot> last']) expect(out.filter((l) => l.includes(text)), text).toHaveLength(1);
    expect(r.stderr().split('\n').filter((l) => l.includes('connection lost'))).toHaveLength(1);
    await bob2.sync();
    expect(bob2.frames.filter((f) => f.type === 'message' && f.from === 'bot' && f.history !== true).map((f) => (f as { text: string }).text)).toEqual(['while away', 'last']);
  });

  test('without --reconnect line mode still ends on a lost connection, with exit code 5', async () => {
    const s = await server();
    const r = run(CLIENT, ['--plain', 'bot', '127.0.0.1', String(s.port)]);
    cleanups.push(() => r.child.kill());
    await r.waitFor(/^\* connected to/);
    await s.stop();
    expect(await r.exit).toBe(5);
  });
});
