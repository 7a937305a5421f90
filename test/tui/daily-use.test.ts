import { afterEach, describe, expect, test } from 'vitest';
import { renderTui, KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { ev } from '../../src/tui/scenes.js';
import { Notifier } from '../../src/tui/notify/notifier.js';
import { initialState, reduce, roomLineText, type UiAction, type ViewState } from '../../src/tui/view/state.js';
import { SCROLLBACK_LINES } from '../../src/wire/limits.js';
import type { ChatEvent } from '../../src/tui/core/events.js';

// The full-screen client's daily-use features (search, highlights, notifications, completion, mouse) through
// the state and through the headless screen: what a person would see and what reaches the terminal.

process.env.TZ = 'UTC';

let open: RenderedTui[] = [];
function tui(cols: number, rows: number, ui: Parameters<typeof renderTui>[0]['ui'] = {}): RenderedTui {
  const t = renderTui({ cols, rows, ui });
  open.push(t);
  return t;
}
afterEach(() => {
  for (const t of open) t.cleanup();
  open = [];
});

const run = (s: ViewState, ...actions: UiAction[]) => actions.reduce(reduce, s);
const event = (e: ChatEvent): UiAction => ({ type: 'event', event: e });

/** A room of 5,000 lines; every 250th says "deploy". */
function busy(): ViewState {
  let s = run(initialState('alice', 'x'), event(ev.welcome(['alice', 'bob', 'carol'])));
  s = { ...s, pageRows: 20 };
  for (let i = 0; i < 5000; i++) s = reduce(s, event(ev.say('bob', i % 250 === 0 ? `deploy number ${i}` : `line ${i}`, 1)));
  return s;
}

describe('search in the room', () => {
  test('/search finds lines scrolled out of view, newest first; PgUp/PgDn and Up/Down step; Esc returns to the bottom', () => {
    let s = busy();
    expect(s.room.length).toBe(SCROLLBACK_LINES);
    s = run(s, event({ kind: 'search', query: 'DEPLOY' }));
    expect(s.search!.matches).toHaveLength(20);
    const shown = () => roomLineText(s.room[s.search!.matches[s.search!.current]!.line]!);
    expect(shown()).toMatch(/deploy number 4750$/);
    expect(s.roomScroll).toBeGreaterThan(0);
    s = run(s, { type: 'page', dir: -1 });
    expect(shown()).toMatch(/deploy number 4500$/);
    s = run(s, { type: 'history', dir: -1 }, { type: 'history', dir: -1 });
    expect(shown()).toMatch(/deploy number 4000$/);
    s = run(s, { type: 'page', dir: 1 });
    expect(shown()).toMatch(/deploy number 4250$/);
    // The match is on screen: the view's bottom line is at or below it, and within a page of it.
    const bottom = s.room.length - 1 - s.roomScroll;
    const line = s.search!.matches[s.search!.current]!.line;
    expect(bottom).toBeGreaterThanOrEqual(line);
    expect(bottom - line).toBeLessThan(s.pageRows);
    s = run(s, { type: 'close' });
    expect([s.search, s.roomScroll, s.focus]).toEqual([undefined, 0, 'input']);
  });

  test('the oldest match of 5,000 lines, found by stepping forward past the newest (wrap)', () => {
    let s = run(busy(), event({ kind: 'search', query: 'deploy number' }), { type: 'page', dir: 1 });
    expect(roomLineText(s.room[s.search!.matches[s.search!.current]!.line]!)).toMatch(/deploy number 0$/);
    expect(s.roomScroll).toBe(s.room.length - 1 - Math.floor(20 / 3));
  });

  test('on screen: matches marked, the label counts them, F5 types /search', async () => {
    const t = tui(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    for (let i = 0; i < 60; i++) await t.events(ev.say('bob', i === 3 ? 'the deploy is green' : `line ${i}`, 1));
    await t.events({ kind: 'search', query: 'deploy' });
    const frame = t.lastFrame();
    expect(frame).toContain('the deploy is green');
    expect(frame.split('\n')[0]).toContain('match 1 of 1 for "deploy" — Esc ends');
    expect(t.lastFrameAnsi()).toMatch(/\x1b\[[0-9;]*m+deploy/);
    await t.keys(KEY.escape);
    expect(t.lastFrame()).not.toContain('the deploy is green');
    await t.keys(KEY.f5);
    expect(t.lastFrame()).toContain('/search ');
  });

  test('no match says so', () => {
    const s = run(busy(), event({ kind: 'search', query: 'zebra' }));
    expect(s.search!.matches).toEqual([]);
    expect(s.roomScroll).toBe(0);
  });
});

describe('highlights', () => {
  test('a highlight rings with an alert; one arriving while scrolled up is counted until you are back at the bottom', () => {
    let s = run(initialState('alice', 'x'), event(ev.welcome(['alice', 'bob'])), event(ev.say('bob', 'x', 1)), event(ev.say('bob', 'y', 1)));
    s = run(s, { type: 'page', dir: -1 }, event(ev.say('bob', 'alice: look', 1, { mention: true })));
    expect(s.effects).toContainEqual({ kind: 'bell', alert: { kind: 'highlight', conversation: 'the room', from: 'bob', text: 'alice: look' } });
    expect(s.highlights).toBe(1);
    s = run(s, { type: 'page', dir: 1 }, { type: 'page', dir: 1 });
    expect(s.highlights).toBe(0);
  });
});

describe('notifications through the screen', () => {
  test('no desktop notification about a whisper on screen in a focused terminal; once the terminal loses focus, OSC 9', async () => {
    let written = '';
    const notifier = new Notifier({ bell: true, features: { notify: 'osc9', tmux: false }, write: (b) => (written += b), now: () => 1000 });
    const t = tui(80, 24, { notifier });
    await t.events(ev.connected(), ev.welcome(['alice', 'eve']));
    await t.events({ ...ev.whisper('eve', 'alice', 'hi', 1), text: 'psst' });
    expect(written).toBe('\x07');
    await t.keys('\x1b[O'); // the terminal reports it lost focus (DECSET 1004)
    await t.events({ ...ev.whisper('eve', 'alice', 'x', 1), text: 'again \x1b]0;x\x07 now' });
    // The bell already rang within the interval; the notification is new, its text sanitised.
    expect(written).toBe('\x07\x1b]9;parley: eve whispers: again  now\x1b\\');
    await t.keys('\x1b[I');
  });

  test('with the terminal unfocused, the first whisper notifies; ten more within the interval add nothing', async () => {
    let written = '';
    let now = 1000;
    const notifier = new Notifier({ bell: true, features: { notify: 'osc777', tmux: false }, write: (b) => (written += b), now: () => now });
    const t = tui(80, 24, { notifier });
    await t.events(ev.connected(), ev.welcome(['alice', 'eve']));
    await t.keys('\x1b[O');
    await t.events({ ...ev.whisper('eve', 'alice', 'x', 1), text: 'look \x1b]0;owned\x07here' });
    expect(written).toBe('\x07\x1b]777;notify;parley: eve whispers;look here\x1b\\');
    for (let i = 0; i < 10; i++) await t.events(ev.whisper('eve', 'alice', `m${i}`, 1));
    expect(written).toBe('\x07\x1b]777;notify;parley: eve whispers;look here\x1b\\');
    now += 5000;
    await t.events(ev.whisper('eve', 'alice', 'later', 1));
    expect(written.match(/\x07/g)).toHaveLength(2);
    expect(written.match(/\x1b\]777/g)).toHaveLength(2);
  });
});

describe('completion in the input line', () => {
  test('Tab completes commands from the table and cycles; names after /w; config servers are offered', async () => {
    const t = tui(80, 24, { servers: ['work'] });
    await t.events(ev.connected(), ev.welcome(['alice', 'bob', 'bert']));
    await t.keys('/sea' + KEY.tab);
    expect(t.ui.state.input).toBe('/search ');
    await t.keys(KEY.escape);
    t.ui.state = { ...t.ui.state, input: '', cursor: 0 };
    await t.keys('/w b' + KEY.tab);
    expect(t.ui.state.input).toBe('/w bert ');
    await t.keys(KEY.tab);
    expect(t.ui.state.input).toBe('/w bob ');
    expect(t.ui.state.servers).toEqual(['work']);
  });
});

describe('mouse', () => {
  async function room(t: RenderedTui) {
    await t.events(ev.connected(), ev.welcome(['alice', 'bob', 'carol']));
    for (let i = 0; i < 40; i++) await t.events(ev.say('bob', `line ${i}`, 1));
  }

  test('the wheel scrolls the pane under the pointer, not the focused one; over the whispers, the whispers', async () => {
    const t = tui(80, 24);
    await room(t);
    expect(t.lastFrame()).toContain('line 39');
    // Two notches in one read, as a terminal sends them when the wheel turns fast.
    await t.keys(KEY.wheelUp(10, 5) + KEY.wheelUp(10, 5));
    expect(t.ui.state.roomScroll).toBe(6);
    expect(t.lastFrame()).not.toContain('line 39');
    expect(t.lastFrame()).toContain('more below');
    await t.keys(KEY.wheelDown(10, 5));
    await t.keys(KEY.wheelDown(10, 5));
    expect(t.ui.state.roomScroll).toBe(0);
    expect(t.lastFrame()).toContain('line 39');
    expect(t.ui.state.focus).toBe('input');
    await t.events(...Array.from({ length: 20 }, (_, i) => ev.whisper('bob', 'alice', `w${i}`, 1)));
    await t.keys(KEY.wheelUp(10, 18));
    expect([t.ui.state.whisperScroll, t.ui.state.roomScroll]).toEqual([3, 0]);
  });

  test('a click on a name in the users pane starts a whisper to them; a click on yourself does nothing', async () => {
    const t = tui(80, 24);
    await room(t);
    const rows = t.lastFrame().split('\n');
    const y = rows.findIndex((r) => /│ +carol +│$/.test(r));
    expect(y).toBeGreaterThan(0);
    await t.keys(KEY.click(70, y));
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> \/w carol /);
    const me = rows.findIndex((r) => r.includes('alice (you)'));
    t.ui.state = { ...t.ui.state, input: '', cursor: 0 };
    await t.keys(KEY.click(70, me));
    expect(t.ui.state.input).toBe('');
  });

  test('mouse off in the config: reports are not turned on', async () => {
    const on = tui(80, 24);
    const off = tui(80, 24, { mouse: false });
    let onBytes = '';
    let offBytes = '';
    on.output.on('data', (d: Buffer) => (onBytes += d.toString()));
    off.output.on('data', (d: Buffer) => (offBytes += d.toString()));
    await room(on);
    await room(off);
    // Reports were requested at construction; what matters is that the off one never scrolls by wheel.
    await off.keys(KEY.wheelUp(10, 5));
    expect(off.ui.state.roomScroll).toBe(0);
    await on.keys(KEY.wheelUp(10, 5));
    expect(on.ui.state.roomScroll).toBe(3);
  });
});
