import { afterEach, describe, expect, test } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { renderTui, KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { ev } from '../../src/tui/scenes.js';

// Issue 11, items 1 and 7: the room view.

process.env.TZ = 'UTC';
let open: RenderedTui[] = [];
afterEach(() => {
  for (const t of open) t.cleanup();
  open = [];
});

describe('scrollback reaches the top (item 1)', () => {
  test('PgUp until it stops shows the first lines at the top, with no blank rows under them', async () => {
    const t = renderTui({ cols: 80, rows: 24 });
    open.push(t);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    for (let i = 1; i <= 30; i++) await t.events(ev.say('bob', `line ${i}`, i));
    for (let i = 0; i < 10; i++) await t.keys(KEY.pageUp);
    const rows = t.lastFrame().split('\n');
    expect(rows[1]).toContain('* connected to 127.0.0.1:7777 as alice');
    expect(rows[2]).toContain('* Welcome to parley. Be kind.');
    // Rows 1..12 are all lines of the room, then the note; nothing blank between.
    for (let y = 1; y < 13; y++) expect(rows[y]!.slice(1, 59).trim(), `row ${y}`).not.toBe('');
    expect(rows[13]).toMatch(/▼ more below — PgDn/);
    // And back down: every line was on screen on the way.
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      for (const r of t.lastFrame().split('\n')) for (const m of r.matchAll(/line (\d+)/g)) seen.add(m[1]!);
      await t.keys(KEY.pageDown);
    }
    expect(seen.size).toBe(30);
  });

  test('a room shorter than the pane does not scroll into blank rows at all', async () => {
    const t = renderTui({ cols: 80, rows: 24 });
    open.push(t);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']), ev.say('bob', 'only line', 1));
    await t.keys(KEY.pageUp);
    expect(t.ui.state.roomScroll).toBe(0);
    expect(t.lastFrame()).not.toContain('more below');
  });
});

describe('history of an earlier guest is not yours (item 7)', () => {
  test('replayed lines from an earlier guest of the same name are not marked as your own', () => {
    const core = new ClientCore('zed', 'tui');
    core.receive({ type: 'welcome', version: 1, name: 'zed', users: ['zed'], motd: '' } as never, 's');
    const [replayed] = core.receive({ type: 'message', id: 1, from: 'zed', text: 'I was here first', time: 1, history: true } as never, 's');
    expect(replayed).toMatchObject({ kind: 'message', own: false });
    const [live] = core.receive({ type: 'message', id: 2, from: 'zed', text: 'now me', time: 2 } as never, 's');
    expect(live).toMatchObject({ own: true });
  });

  test('for a logged-in account its own history is its own', () => {
    const core = new ClientCore('zed', 'tui');
    core.receive({ type: 'welcome', version: 1, name: 'zed', users: ['zed'], motd: '', account: true } as never, 's');
    const [replayed] = core.receive({ type: 'message', id: 1, from: 'zed', text: 'mine', time: 1, history: true } as never, 's');
    expect(replayed).toMatchObject({ own: true });
  });
});
