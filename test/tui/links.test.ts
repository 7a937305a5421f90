import { describe, expect, test } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { headlessScreens } from '../helpers/tui.js';
import { Emulator } from '../../src/tui/screen/emulator.js';
import { DEFAULT_LOOK, type Look } from '../../src/tui/view/look.js';
import { ev } from '../../src/tui/scenes.js';
import type { ServerMessage } from '../../src/wire/messages.js';

// URLs as OSC 8 hyperlinks (issue 17, item 7): drawn by the client from sanitised text where the terminal
// has them, plain elsewhere; the bytes that reach the terminal are checked, and a real emulator shows the
// pane borders where they belong.

process.env.TZ = 'UTC';

const screens = headlessScreens();

/** The screen's bytes reach the 'data' listeners on a later tick. */
const settled = () => new Promise((r) => setImmediate(r));

const LINKS: Look = { ...DEFAULT_LOOK, hyperlinks: true };

function tui(look: Look, cols = 80, rows = 24): { t: RenderedTui; bytes: () => string; emulator: Emulator } {
  const t = screens(cols, rows, { look });
  let out = '';
  const emulator = new Emulator(cols, rows);
  t.output.on('data', (d: Buffer) => {
    out += d.toString();
    emulator.write(d);
  });
  return { t, bytes: () => out, emulator };
}

/** Every OSC 8 sequence in `bytes`: its parameters and URI. */
function osc8s(bytes: string): { params: string; uri: string }[] {
  return [...bytes.matchAll(/\x1b\]8;([^;\x1b\x07]*);([^\x1b\x07]*)(?:\x1b\\|\x07)/g)].map((m) => ({ params: m[1]!, uri: m[2]! }));
}

describe('links as OSC 8 hyperlinks', () => {
  test('each cell of a URL is a whole OSC 8 link to it (id groups them); the words around it are not linked', async () => {
    const { t, bytes } = tui(LINKS);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']), ev.say('bob', 'docs at https://example.com/a?b=1 today', 2));
    t.lastFrame();
    await settled();
    const url = 'https://example.com/a?b=1';
    const opens = osc8s(bytes()).filter((o) => o.uri !== '');
    expect(opens).toHaveLength(url.length);
    expect(new Set(opens.map((o) => o.uri))).toEqual(new Set([url]));
    expect(opens[0]!.params).toMatch(/^id=[0-9a-z]+$/);
    // Cell by cell: open, one character, close.
    expect(bytes()).toContain(`\x1b]8;${opens[0]!.params};${url}\x1b\\h\x1b]8;;\x1b\\`);
    expect(bytes()).not.toMatch(/\x1b\]8;[^\x1b]*\x1b\\(?:docs|today| )/);
    expect(t.lastFrame()).toContain('<bob> docs at https://example.com/a?b=1 today');
  });

  test('plain text where the terminal has no hyperlinks: no OSC 8 at all', async () => {
    const { t, bytes } = tui(DEFAULT_LOOK);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']), ev.say('bob', 'docs at https://example.com/a?b=1 today', 2), ev.whisper('bob', 'alice', 'x', 3));
    await t.events({ ...ev.whisper('bob', 'alice', 'x', 3), text: 'see https://example.org/x' });
    t.lastFrame();
    await settled();
    expect(bytes()).not.toContain('\x1b]8');
    expect(t.lastFrame()).toContain('https://example.org/x');
  });

  test('no remote byte forms an escape: a server line with its own OSC 8, BEL/ST and C1 controls becomes text, and the URI is percent-encoded ASCII', async () => {
    const { t, bytes } = tui(LINKS);
    const core = new ClientCore('alice', 'tui');
    const feed = (m: ServerMessage) => t.events(...core.receive(m, '127.0.0.1:7777'));
    await t.events(ev.connected());
    await feed({ type: 'welcome', version: 2, name: 'alice', users: ['alice', 'eve'], motd: '', rooms: ['#lobby'] });
    const hostile = 'click \x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\ or https://ex.com/ünï"<x> \x9b31m or https://ok.example/\x07bell';
    await feed({ type: 'message', id: 1, from: 'eve', text: hostile, time: 0, room: '#lobby' });
    await feed({ type: 'whisper', id: 2, from: 'eve', to: 'alice', text: 'psst https://w.example/\x1b]0;title\x07p', time: 0 });
    t.lastFrame();
    await settled();
    const links = osc8s(bytes());
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(l.uri).toMatch(/^[\x21-\x7e]*$/);
    expect(links.some((l) => l.uri.includes('evil'))).toBe(false);
    expect(links.map((l) => l.uri).filter((u) => u !== '')).toEqual(expect.arrayContaining(['https://ex.com/%C3%BCn%C3%AF', 'https://ok.example/bell', 'https://w.example/p']));
    // Nothing but the client's own sequences: no OSC 0 (title), no C1 CSI, no BEL from the text.
    expect(bytes()).not.toContain('\x1b]0;title');
    expect(bytes()).not.toContain('\x9b');
    const oscs = [...bytes().matchAll(/\x1b\](\d+);([^\x07\x1b]*)/g)].map((m) => (m[1] === '0' ? `title ${m[2]}` : m[1]));
    expect(new Set(oscs)).toEqual(new Set(['8', 'title parley alice']));
  });

  test('in a real terminal emulator, links leave every pane border in its column and show their text', async () => {
    const { t, emulator } = tui(LINKS);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob', 'carol']));
    for (let i = 0; i < 6; i++) await t.events(ev.say('bob', `build ${i}: https://ci.example.com/builds/${1000 + i}/log?view=full&lines=all see there`, i));
    await t.events({ ...ev.whisper('carol', 'alice', 'x', 7), text: 'the doc https://docs.example.com/a/very/long/path/that/wraps/over/the/edge/of/the/pane/for/sure ok' });
    await t.keys(KEY.ctrlL);
    t.lastFrame();
    await settled();
    await emulator.settle();
    for (let y = 1; y < 21; y++) {
      if (y === 14 || y === 15) continue; // the room's bottom and the whispers' top border
      const line = emulator.line(y);
      const bars = [...line].flatMap((c, x) => (c === '│' ? [x] : []));
      expect(bars, `row ${y}: ${line}`).toEqual([0, 59, 60, 79]);
    }
    const screen = Array.from({ length: 24 }, (_, y) => emulator.line(y)).join('\n');
    expect(screen).toContain('09:05 <bob> build 5: https://ci.example.com/builds/1005/lo');
    expect(screen).toContain('/path/that/wraps/over/the/edge/of/the/pane/for/sure');
    emulator.dispose();
  });
});
