import { describe, expect, test } from 'vitest';
import { KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { headlessScreens } from '../helpers/tui.js';
import { SCENES, ev } from '../../src/tui/scenes.js';
import { initialState, reduce, roomLineText, type UiAction, type ViewState } from '../../src/tui/view/state.js';
import { roomTabs } from '../../src/tui/view/roombar.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { cellGrid, columnsOf } from './frame.js';

// The full screen in several rooms (issue 13, item 6; issue 17, items 4-6 for rooms): one room on screen, a
// room list with unread and highlight counts, keys, /window, a click and Tab completion to move between them.
// Through the view state (what each room holds) and the headless screen at fixed sizes (what a person sees).

process.env.TZ = 'UTC';

const tui = headlessScreens();

const run = (s: ViewState, ...actions: UiAction[]) => actions.reduce(reduce, s);
const event = (e: ChatEvent): UiAction => ({ type: 'event', event: e });
const texts = (s: ViewState) => s.room.map((l) => roomLineText(l));

/** alice in #lobby (with bob), then /join #dev (with dmitri) and /join #ops (with erin): #ops on screen. */
function threeRooms(): ViewState {
  return run(
    initialState('alice', 'x'),
    event(ev.welcome(['alice', 'bob'])),
    event(ev.say('bob', 'morning', 1)),
    event(ev.room('#dev', ['alice', 'dmitri'], 'builds')),
    event(ev.in('#dev', ev.say('dmitri', 'tagged 2.4', 2))),
    event(ev.room('#ops', ['alice', 'erin'])),
  );
}

async function scene(name: string): Promise<{ t: RenderedTui; rows: string[] }> {
  const s = SCENES.find((x) => x.name === name)!;
  const t = tui(s.cols, s.rows);
  await s.play(t);
  return { t, rows: t.lastFrame().split('\n') };
}

describe('one room on screen, each with its own lines and members', () => {
  test('a /join puts the new room on screen; lines of the others go to their own rooms and are counted there', () => {
    let s = threeRooms();
    expect(s.windows.map((w) => w.name)).toEqual(['#lobby', '#dev', '#ops']);
    expect(s.shown).toBe('#ops');
    expect(s.users).toEqual(['alice', 'erin']);
    expect(texts(s).join('\n')).not.toMatch(/morning|tagged/);
    s = run(s, event(ev.in('#lobby', ev.say('bob', 'lunch?', 3))), event(ev.in('#lobby', ev.say('bob', 'alice?', 4, { mention: true }))), event(ev.in('#dev', ev.joined('frank', 5))));
    expect(texts(s).join('\n')).not.toMatch(/lunch|alice\?|frank/);
    expect(s.windows.map((w) => [w.name, w.unread, w.mentions])).toEqual([
      ['#lobby', 2, 1],
      ['#dev', 0, 0],
      ['#ops', 0, 0],
    ]);
    // /window 1 (Alt+1 sends it; the core answers with the room now current): #lobby's own scrollback and members.
    s = run(s, event({ kind: 'window', room: '#lobby' }));
    expect(s.shown).toBe('#lobby');
    expect(s.users).toEqual(['alice', 'bob']);
    expect(texts(s).filter((t) => /morning|lunch|alice\?/.test(t))).toHaveLength(3);
    expect(s.windows[0]).toMatchObject({ unread: 0, mentions: 0 });
    // #dev kept frank's join in its own members while off screen.
    s = run(s, event({ kind: 'window', room: '#dev' }));
    expect(s.users).toEqual(['alice', 'dmitri', 'frank']);
    expect(texts(s).some((t) => /tagged 2\.4/.test(t))).toBe(true);
    expect(texts(s).some((t) => /frank has joined/.test(t))).toBe(true);
  });

  test('scrolling is per room: a room scrolled up stays scrolled while you look at another', () => {
    let s = threeRooms();
    s = { ...s, pageRows: 5 };
    for (let i = 0; i < 30; i++) s = run(s, event(ev.in('#ops', ev.say('erin', `ops ${i}`, 6))));
    s = run(s, { type: 'page', dir: -1 });
    const scrolled = s.roomScroll;
    expect(scrolled).toBeGreaterThan(0);
    s = run(s, event({ kind: 'window', room: '#dev' }));
    expect(s.roomScroll).toBe(0);
    s = run(s, event(ev.in('#ops', ev.say('erin', 'while away', 7))), event({ kind: 'window', room: '#ops' }));
    expect(s.roomScroll).toBe(scrolled + 1);
    expect(s.unseen).toBe(1);
  });

  test('a highlight in a room not on screen rings, is never "seen", and names its room', () => {
    const s = run(threeRooms(), { type: 'take-effects' }, event(ev.in('#lobby', ev.say('bob', 'alice: look', 3, { mention: true }))));
    expect(s.effects).toEqual([{ kind: 'bell', alert: { kind: 'highlight', conversation: '#lobby', from: 'bob', text: 'alice: look' }, elsewhere: true }]);
  });

  test('our own line, echoed after we switched away, replaces its pending line in its own room and counts as nothing unread', () => {
    let s = threeRooms();
    s = run(s, event({ kind: 'pending', ref: 'r1', text: 'on it', action: false }), event({ kind: 'window', room: '#dev' }));
    s = run(s, event(ev.in('#ops', { ...ev.say('alice', 'on it', 8), ref: 'r1' })));
    expect(s.windows[2]).toMatchObject({ unread: 0 });
    s = run(s, event({ kind: 'window', room: '#ops' }));
    expect(s.room.filter((l) => l.kind === 'pending')).toEqual([]);
    expect(texts(s).filter((t) => /on it/.test(t))).toHaveLength(1);
  });

  test('kicked from the room on screen: the room before it is shown and says why; the room list loses it', () => {
    let s = threeRooms();
    s = run(
      s,
      event({ kind: 'left', name: 'alice', reason: 'kicked', by: 'erin', message: 'flood', time: ev.say('x', '', 9).time, room: '#ops' }),
      event({ kind: 'parted', room: '#ops', current: '#dev', reason: 'kicked', by: 'erin', message: 'flood' }),
    );
    expect(s.windows.map((w) => w.name)).toEqual(['#lobby', '#dev']);
    expect(s.shown).toBe('#dev');
    expect(s.users).toEqual(['alice', 'dmitri']);
    expect(texts(s).at(-1)).toBe('* you are no longer in #ops (kicked by erin: flood)');
  });

  test('a rename is said in each room the person is in, and only there', () => {
    let s = run(threeRooms(), event(ev.in('#lobby', ev.joined('erin', 3))));
    s = run(s, event({ kind: 'renamed', old: 'erin', new: 'erin2', time: ev.say('x', '', 9).time, self: false }));
    expect(s.users).toEqual(['alice', 'erin2']);
    expect(texts(s).at(-1)).toMatch(/erin is now known as erin2/);
    s = run(s, event({ kind: 'window', room: '#lobby' }));
    expect(s.users).toEqual(['alice', 'bob', 'erin2']);
    s = run(s, event({ kind: 'window', room: '#dev' }));
    expect(texts(s).join('\n')).not.toMatch(/erin2/);
  });

  test('moderation and topics land in their own room; the topic is kept for the title', () => {
    let s = threeRooms();
    s = run(
      s,
      event(ev.in('#dev', { kind: 'moderation', action: 'mute', by: 'alice', name: 'dmitri', seconds: 60, time: ev.say('x', '', 9).time })),
      event(ev.in('#dev', { kind: 'topic', topic: 'release week', by: 'alice' })),
    );
    expect(texts(s).join('\n')).not.toMatch(/muted|release week/);
    s = run(s, event({ kind: 'window', room: '#dev' }));
    expect(texts(s).slice(-2)).toEqual(['09:09 * alice muted dmitri for 60 s', '* topic: release week (set by alice)']);
    expect(s.windows[1]!.topic).toBe('release week');
  });

  test('a locked topic is marked (+t) after the room\'s name in the title, in the room it was locked in, until it is unlocked', async () => {
    const t = tui(80, 24);
    const at = ev.say('x', '', 9).time;
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    // Entered locked: the server's `room` says so.
    await t.events({ ...ev.room('#dev', ['alice', 'dmitri'], 'builds'), locked: true });
    expect(t.lastFrame().split('\n')[1]).toMatch(/^┌─ #dev\(\+t\) — builds ─+┐/);
    // Locked while another room is on screen: #ops is not marked, #dev still is.
    await t.events(ev.room('#ops', ['alice', 'erin'], 'on call'));
    await t.events(ev.in('#lobby', { kind: 'moderation', action: 'lock', by: 'bob', time: at }));
    expect(t.lastFrame().split('\n')[1]).toMatch(/^┌─ #ops — on call ─+┐/);
    await t.events({ kind: 'window', room: '#lobby' });
    expect(t.lastFrame().split('\n')[1]).toMatch(/^┌─ #lobby\(\+t\) ─+┐/);
    await t.events(ev.in('#lobby', { kind: 'moderation', action: 'unlock', by: 'bob', time: at }));
    expect(t.lastFrame().split('\n')[1]).toMatch(/^┌─ #lobby ─+┐/);
    await t.events({ kind: 'window', room: '#dev' });
    expect(t.lastFrame().split('\n')[1]).toMatch(/^┌─ #dev\(\+t\) — builds ─+┐/);
  });

  test('a reconnect in another room than the server\'s first keeps it on screen with its lines; the welcome\'s members are the first room\'s', () => {
    let s = run(threeRooms(), event({ kind: 'window', room: '#dev' }), { type: 'take-effects' });
    s = run(s, event({ ...ev.welcome(['alice', 'bob', 'zoe']), rooms: ['#lobby', '#dev', '#ops'] }));
    expect(s.shown).toBe('#dev');
    expect(s.users).toEqual(['alice', 'dmitri']);
    expect(s.windows[0]!.view!.users).toEqual(['alice', 'bob', 'zoe']);
    expect(texts(s).some((t) => /tagged 2\.4/.test(t))).toBe(true);
  });
});

describe('the room list on screen', () => {
  test('at 80x24: a bar on the top row with each room, its unread count and !N for highlights; borders stay whole', async () => {
    const { rows } = await scene('rooms');
    expect(rows[0]).toMatch(/^ {2}1:#lobby 3 {2}2:#dev {2}3:#ops 2 !1 +$/);
    expect(rows[1]).toMatch(/^┌─ #dev — builds and releases ─+┐┌─ Users \(3\) ─+┐$/);
    expect(rows.slice(2, 5).map((r) => r.slice(60).trim())).toEqual(['│* alice (you)     │', '│  bob             │', '│  dmitri          │']);
    for (let y = 2; y < 21; y++) {
      if (y === 15 || y === 16) continue; // the room's bottom and the whispers' top border
      expect(columnsOf(rows.join('\n'), y, '│'), `row ${y}: ${rows[y]}`).toEqual([0, 59, 60, 79]);
    }
    expect(rows[22]).toMatch(/^alice> shipping it today/);
    for (const row of cellGrid(rows.join('\n'))) expect(row.length).toBe(80);
  });

  test('the room on screen is drawn inverse in the bar, a room with a highlight in magenta', async () => {
    const { t } = await scene('rooms');
    const ansi = t.lastFrameAnsi().split('\n')[0]!;
    // blessed's SGR: 7 = inverse; 35 = magenta.
    expect(ansi).toMatch(/\x1b\[[\d;]*7[\d;]*m 2:#dev /);
    expect(ansi).toMatch(/\x1b\[[\d;]*35[\d;]*m#ops/);
  });

  test('at 100x30 after Alt+3: #ops on screen with its members; its counts are gone, #lobby keeps its own', async () => {
    const { rows } = await scene('rooms-wide');
    expect(rows[0]).toMatch(/^ {2}1:#lobby 3 {2}2:#dev {2}3:#ops +$/);
    expect(rows[1]).toMatch(/^┌─ #ops — on call: carol ─+┐┌─ Users \(3\) ─+┐$/);
    expect(rows.slice(2, 5).map((r) => r.slice(80).trim())).toEqual(['│* alice (you)     │', '│  carol           │', '│  erin            │']);
    expect(rows.join('\n')).toContain('09:14 <carol> alice, can you look at db2?');
  });

  test('one room only (never typed /join): no bar, the title says Room, the screen is as before', async () => {
    const { rows } = await scene('conversation');
    expect(rows[0]).toMatch(/^┌─ Room ─+┐┌─ Users \(3\) ─+┐$/);
    const t = tui(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']), ev.room('#dev', ['alice']), { kind: 'parted', room: '#dev', current: '#lobby' });
    expect(t.lastFrame().split('\n')[0]).toMatch(/^┌─ Room ─+┐/);
  });

  test('a popup (F1) leaves the room list on the top row and its margin below it', async () => {
    const { t } = await scene('rooms');
    await t.keys(KEY.f1);
    const rows = t.lastFrame().split('\n');
    expect(rows[0]).toMatch(/^ {2}1:#lobby 3 {2}2:#dev {2}3:#ops 2 !1 +$/);
    expect(rows[2]).toMatch(/^│ ┌─ Help ─+┐ │$/);
  });

  test('many rooms at 80 columns: the room on screen stays in view, cut-off ends are marked ‹ ›', async () => {
    const t = tui(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice']));
    for (let i = 1; i <= 12; i++) await t.events(ev.room(`#project-${i}`, ['alice']));
    await t.events({ kind: 'window', room: '#project-6' });
    const bar = t.lastFrame().split('\n')[0]!;
    expect(bar).toMatch(/^‹/);
    expect(bar).toMatch(/›$/);
    expect(bar).toContain('7:#project-6');
    expect(cellGrid(bar)[0]).toHaveLength(80);
  });

  test('a long room name is cut with … in the bar, and the title fits its border', async () => {
    const t = tui(80, 24);
    const long = '#' + 'a'.repeat(32);
    await t.events(ev.connected(), ev.welcome(['alice']), ev.room(long, ['alice'], 'x'.repeat(100)));
    const rows = t.lastFrame().split('\n');
    expect(rows[0]).toContain('2:#aaaaaaaaaaaaaaaaaa…');
    expect(rows[1]).toMatch(/^┌─ #a{32} — x+… ─+┐┌/);
    expect(columnsOf(rows.join('\n'), 1, '┐')).toEqual([59, 79]);
  });
});

describe('switching rooms', () => {
  test('Alt+1..9, Alt+Left/Right and Ctrl+PgUp/PgDn send /window (the core makes the room current and shows it)', async () => {
    const { t } = await scene('rooms');
    await t.keys('\x1b1');
    await t.keys('\x1b3');
    await t.keys('\x1b[1;3D'); // Alt+Left
    await t.keys('\x1b[1;3C'); // Alt+Right
    await t.keys('\x1b[5;5~'); // Ctrl+PgUp
    await t.keys('\x1b[6;5~'); // Ctrl+PgDn
    expect(t.sent).toEqual(['/window 1', '/window 3', '/window prev', '/window next', '/window prev', '/window next']);
    // What was being typed stays in the input line.
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> shipping it today/);
  });

  test('a click on a room in the bar sends /window #room; a click between rooms does nothing', async () => {
    const { t, rows } = await scene('rooms');
    const x = rows[0]!.indexOf('#ops');
    await t.keys(KEY.click(x, 0));
    await t.keys(KEY.click(rows[0]!.indexOf('#lobby'), 0));
    await t.keys(KEY.click(70, 0));
    expect(t.sent).toEqual(['/window #ops', '/window #lobby']);
    const tabs = roomTabs(t.ui.state, 80).tabs;
    expect(tabs.map((tab) => [tab.room, rows[0]!.slice(tab.start, tab.end).trim()])).toEqual([
      ['#lobby', '1:#lobby 3'],
      ['#dev', '2:#dev'],
      ['#ops', '3:#ops 2 !1'],
    ]);
  });

  test('Tab after # completes the rooms you are in and those /rooms listed', async () => {
    const { t } = await scene('rooms');
    await t.keys('\x15'); // Ctrl+U: empty the line
    await t.events({ kind: 'rooms', rooms: [{ room: '#design', users: 2 }, { room: '#dev', users: 3 }, { room: '#lobby', users: 9 }] });
    await t.keys('/window #d');
    await t.keys(KEY.tab);
    expect(t.ui.state.input).toBe('/window #design ');
    await t.keys(KEY.tab);
    expect(t.ui.state.input).toBe('/window #dev ');
    await t.keys('\x15/kick #o');
    await t.keys(KEY.tab);
    expect(t.ui.state.input).toBe('/kick #ops ');
  });

  test('help lists the room keys from the command table', async () => {
    const t = tui(100, 40);
    await t.events(ev.connected(), ev.welcome(['alice']));
    await t.keys(KEY.f1);
    expect(t.ui.state.popup?.kind).toBe('help');
    const { helpText } = await import('../../src/tui/view/state.js');
    const line = helpText().find((l) => l.includes('/window'))!;
    expect(line).toContain('Alt+1..9: the Nth room; Alt+Left or Ctrl+PgUp: the room before; Alt+Right or Ctrl+PgDn: the room after');
  });
});
