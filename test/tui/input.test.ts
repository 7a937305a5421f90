import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { PASTE_IDLE_MS, MAX_TEXT_CHARS } from '../../src/wire/limits.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session, type PasswordRequest } from '../../src/tui/core/session.js';
import { runPlain } from '../../src/tui/plain.js';
import { renderTui, KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { ev } from '../../src/tui/scenes.js';
import { startTestServer, tempDb, type TestServer } from '../server/helpers.js';

// Issue 11, items 16-19: what is typed or pasted is never swallowed, sent blind, cut silently, or asked
// for carelessly.

let open: RenderedTui[] = [];
let servers: TestServer[] = [];
afterEach(async () => {
  for (const t of open) t.cleanup();
  open = [];
  for (const s of servers) await s.stop();
  servers = [];
});

async function client(): Promise<RenderedTui> {
  const t = renderTui({ cols: 80, rows: 24 });
  open.push(t);
  await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an unterminated bracketed paste cannot take the keyboard (item 16)', () => {
  test('a paste whose end marker never comes ends by itself; typing works again', async () => {
    const t = await client();
    await t.keys('\x1b[200~half a paste');
    await sleep(PASTE_IDLE_MS + 100);
    await t.keys('!');
    expect(t.ui.state.input).toBe('half a paste!');
  });

  test('F10 and Ctrl+C quit even inside an unfinished paste', async () => {
    for (const key of [KEY.f10, '\x03']) {
      const t = await client();
      await t.keys('\x1b[200~stuck');
      await t.keys(key);
      expect(t.quits, JSON.stringify(key)).toBe(1);
    }
  });
});

describe('pastes without bracketed paste (item 17)', () => {
  test('three lines arriving at once are a paste: asked about, not sent', async () => {
    const t = await client();
    await t.keys('one\rtwo\rthree\r');
    expect(t.sent).toEqual([]);
    expect(t.ui.state.popup).toEqual({ kind: 'paste', lines: ['one', 'two', 'three'] });
    expect(t.lastFrame()).toContain('Send these 3 lines to the room?');
  });

  test('lines that follow each other faster than anyone types, in separate reads, too', async () => {
    const t = await client();
    const input = (t.ui as unknown as { o: { input: PassThrough } }).o.input;
    input.write('one\r');
    input.write('two\r');
    await t.keys('three\r');
    expect(t.sent).toEqual([]);
    expect(t.ui.state.popup).toMatchObject({ kind: 'paste', lines: ['one', 'two', 'three'] });
  });

  test('a typed line with Enter is still sent at once', async () => {
    const t = await client();
    await t.keys('hello');
    await t.keys(KEY.enter);
    expect(t.sent).toEqual(['hello']);
  });
});

describe('long input is never cut silently (item 18)', () => {
  test('a 2,100-character paste is kept whole, the count shows, and Enter refuses with the true count', async () => {
    const t = await client();
    const long = 'x'.repeat(2100);
    await t.keys(KEY.paste(long));
    expect(t.ui.state.input).toBe(long);
    expect(t.lastFrame().split('\n')[22]).toMatch(new RegExp(` 2100/${MAX_TEXT_CHARS} $`));
    await t.keys(KEY.enter);
    expect(t.sent).toEqual([]);
    expect(t.ui.state.room.at(-1)).toMatchObject({ kind: 'error', text: expect.stringContaining(`a message may be at most ${MAX_TEXT_CHARS} characters; this one has 2100`) });
    expect(t.lastFrame()).toContain(`! a message may be at most ${MAX_TEXT_CHARS} characters`);
    expect(t.ui.state.input).toBe(long); // still there, to shorten
    await t.keys(KEY.backspace.repeat(100));
    await t.keys(KEY.enter);
    expect(t.sent).toEqual(['x'.repeat(2000)]);
  });
});

describe('/register asks twice; line mode on a terminal asks without echo (item 19)', () => {
  test('the full screen asks for the password and for it again; a mismatch registers nothing', async () => {
    const s = await startTestServer(tempDb());
    servers.push(s);
    const asked: PasswordRequest[] = [];
    const answers = ['secret-one', 'secret-two', 'secret-one', 'secret-one'];
    const events: ChatEvent[] = [];
    const session = new Session({ name: 'dora', host: '127.0.0.1', port: s.port, mode: 'tui', askPassword: async (r) => (asked.push(r), answers.shift()) }, (e) => events.push(e));
    await session.start();
    session.input('/register');
    for (let i = 0; i < 100 && !events.some((e) => e.kind === 'error'); i++) await sleep(20);
    expect(asked.map((r) => r.confirm === true)).toEqual([false, true]);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'error', text: expect.stringContaining('the two passwords differ') }));
    session.input('/register');
    for (let i = 0; i < 200 && !events.some((e) => e.kind === 'registered'); i++) await sleep(20);
    expect(events.some((e) => e.kind === 'registered')).toBe(true);
    await session.quit();
  });

  test('line mode on a terminal asks for /register without echo instead of refusing', async () => {
    const s = await startTestServer(tempDb());
    servers.push(s);
    const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: (on: boolean) => ((input.isRaw = on), input) });
    let shown = '';
    const output = new PassThrough();
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const out: string[] = [];
    const done = runPlain({ name: 'dora', host: '127.0.0.1', port: s.port, json: false, input, out: (l) => out.push(l), err: (l) => out.push(l), hint: false, terminal: { input, output } });
    await sleep(300);
    input.write('/register\n');
    for (let i = 0; i < 100 && !shown.includes('new password for dora: '); i++) await sleep(20);
    expect(input.isRaw).toBe(true); // no echo while typing
    input.write('hunter2hunter2\r');
    for (let i = 0; i < 100 && !shown.includes('again: '); i++) await sleep(20);
    input.write('hunter2hunter2\r');
    for (let i = 0; i < 200 && !out.some((l) => l.startsWith('* registered dora')); i++) await sleep(20);
    expect(out).toContain('* registered dora: from now on this name needs its password');
    expect(shown).not.toContain('hunter2');
    expect(out.join('\n')).not.toContain('hunter2'); // the password was not sent as a message either
    input.end();
    expect(await done).toBe(0);
  });
});
