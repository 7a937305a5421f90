import { describe, expect, test } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { formatPlain } from '../../src/tui/format.js';
import { KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { headlessScreens } from '../helpers/tui.js';
import { Emulator } from '../../src/tui/screen/emulator.js';
import { ev } from '../../src/tui/scenes.js';
import { nameProblem } from '../../src/wire/names.js';
import { Session } from '../../src/tui/core/session.js';
import { startTestServer, tempDb } from '../server/helpers.js';
import { PALETTE_16, PALETTE_8, nickColor } from '../../src/tui/view/colors.js';

// Issue 11, items 8, 9 and 12: what a new user sees in the first minutes.

process.env.TZ = 'UTC';
const screens = headlessScreens();
const client = (cols = 80, rows = 24): RenderedTui => screens(cols, rows);

const TWELVE = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'zoe'];

describe('distinct name colours (item 8)', () => {
  test('on a 256-colour terminal, 12 typical names get at least 8 different colours on screen', async () => {
    const t = client(100, 30);
    const e = new Emulator(100, 30);
    e.follow(t.output);
    await t.events(ev.connected(), ev.welcome(TWELVE));
    for (const [i, n] of TWELVE.entries()) await t.events(ev.say(n, 'hi', i));
    t.lastFrame();
    await e.settle();
    const colours = new Map<string, string | undefined>();
    for (let y = 0; y < 30; y++) {
      const m = /<(\w+)>/.exec(e.line(y));
      if (m) colours.set(m[1]!, e.cell(e.line(y).indexOf('<') + 1, y).fg);
    }
    expect(colours.size).toBe(12);
    expect(new Set(colours.values()).size, JSON.stringify(Object.fromEntries(colours))).toBeGreaterThanOrEqual(8);
    e.dispose();
  });

  test('on 8 and 16 colours every usable colour is used, and never red', () => {
    const names = Array.from({ length: 200 }, (_, i) => `user${i}`);
    expect(new Set(names.map((n) => nickColor(n, 16)))).toEqual(new Set(PALETTE_16));
    expect(new Set(names.map((n) => nickColor(n, 8)))).toEqual(new Set(PALETTE_8));
    for (const depth of [8, 16, 256]) for (const n of names) expect([1, 9, 196, 160]).not.toContain(nickColor(n, depth));
  });
});

describe('the first screen (item 9)', () => {
  test('no help dump: the message of the day and a one-line hint are on the first screen', async () => {
    const t = client();
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    const frame = t.lastFrame();
    expect(frame).toContain('Welcome to parley. Be kind.');
    expect(frame).toContain('F1 or /help for commands');
    expect(frame).not.toContain('Commands:');
    expect(t.ui.state.room.length).toBeLessThanOrEqual(3);
  });

  test('/help typed in the full screen opens the same popup as F1, and sends nothing', async () => {
    const t = client();
    await t.events(ev.connected(), ev.welcome(['alice']));
    await t.keys('/help');
    await t.keys(KEY.enter);
    expect(t.sent).toEqual([]);
    expect(t.ui.state.popup).toEqual({ kind: 'help', scroll: 0 });
    expect(t.lastFrame()).toContain('─ Help ─');
  });

  test('/help nick shows the key too', () => {
    const [help] = new ClientCore('alice', 'tui').input('/help nick').events;
    expect(help).toMatchObject({ kind: 'help', lines: [expect.stringContaining('key F2 or Alt+N')] });
  });

  test('/list in the full screen also prints the list in the room', async () => {
    const t = client();
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    await t.events({ kind: 'users', users: ['alice', 'bob', 'carol'] });
    expect(t.lastFrame()).toContain('* users (3): alice, bob, carol');
  });
});

describe('small wording faults (item 12)', () => {
  test('an empty block list is not "nobody" (a valid name)', () => {
    expect(formatPlain({ kind: 'blocks', names: [] })?.line).toBe('* you block no one');
    expect(formatPlain({ kind: 'seen', users: [] })?.line).toBe('* online (0)');
  });

  test('/seen and /whoelsesince give the same usage line, the one the command table has', () => {
    const core = new ClientCore('alice', 'plain');
    const missing = core.input('/whoelsesince').events[0];
    const bad = core.input('/seen soon').events[0];
    const badLong = core.input('/whoelsesince soon').events[0];
    expect(missing).toMatchObject({ text: 'usage: /whoelsesince <seconds>' });
    expect(bad).toMatchObject({ text: expect.stringMatching(/^usage: \/whoelsesince <seconds> /) });
    expect(badLong).toEqual(bad);
  });

  test('--auth required tells a guest whose password to give, not "its"', async () => {
    const s = await startTestServer(tempDb(), { mode: 'required' });
    try {
      const session = new Session({ name: 'guest7', host: '127.0.0.1', port: s.port, mode: 'plain' }, () => {});
      const err = (await session.start().then(() => new Error('admitted'), (e: unknown) => e as Error));
      expect(err.message).toContain("this server admits registered users only: log in with guest7's password");
      expect(err.message).not.toContain('its password');
    } finally {
      await s.stop();
    }
  });

  test('the name rule says lower-case letters are allowed', () => {
    expect(nameProblem('al ice')).toMatch(/a-z/);
  });
});
