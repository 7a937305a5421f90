import { afterEach, describe, expect, test } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { formatPlain } from '../../src/tui/format.js';
import { renderTui, KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import type { ServerMessage } from '../../src/wire/messages.js';

// Away in the client (issue 17, item 8): /away and /back as requests, the server's away frames folded into
// what a person sees: the users pane dims and marks who is away, a whisper to them says their message
// once, line mode says it in words.

process.env.TZ = 'UTC';

let open: RenderedTui[] = [];
afterEach(() => {
  for (const t of open) t.cleanup();
  open = [];
});

const WELCOME: ServerMessage = { type: 'welcome', version: 2, name: 'alice', users: ['alice', 'bob', 'carol'], away: ['carol'], motd: 'hi', rooms: ['#lobby'] };

describe('away in the client core', () => {
  test('/away [message] and /back become away and back requests; /afk is an alias', () => {
    const core = new ClientCore('alice', 'tui', 't-');
    expect(core.input('/away gone fishing').send).toEqual([{ type: 'away', message: 'gone fishing', ref: 't-1' }]);
    expect(core.input('/afk').send).toEqual([{ type: 'away', ref: 't-2' }]);
    expect(core.input('/back').send).toEqual([{ type: 'back', ref: 't-3' }]);
    expect(core.input('/back now').events).toEqual([{ kind: 'error', text: 'usage: /back (too many words)' }]);
  });

  test('who is away follows the welcome, away frames, renames and joins; each change is said once', () => {
    const core = new ClientCore('alice', 'plain');
    core.receive(WELCOME, 's');
    expect(core.isAway('CAROL')).toBe(true);
    const went = core.receive({ type: 'away', name: 'bob', away: true, message: 'lunch\u001b[31m!', time: 0 }, 's');
    expect(went).toEqual([{ kind: 'away', name: 'bob', away: true, message: 'lunch!', time: 0, self: false }]);
    // The same change again (a cluster sends it once per shared room): nothing more to say.
    expect(core.receive({ type: 'away', name: 'bob', away: true, message: 'lunch', time: 0 }, 's')).toEqual([]);
    core.receive({ type: 'renamed', old: 'bob', new: 'bobby', time: 1 }, 's');
    expect([core.isAway('bob'), core.isAway('bobby')]).toEqual([false, true]);
    core.receive({ type: 'users', users: ['alice', 'bobby', 'carol'], away: ['bobby'] }, 's');
    expect(core.isAway('carol')).toBe(false);
    core.receive({ type: 'joined', name: 'carol', time: 2 }, 's');
    expect(core.isAway('carol')).toBe(false);
  });

  test('line mode says it in words: others going and coming back, our own state, a whisper to someone away', () => {
    const core = new ClientCore('alice', 'plain');
    const line = (m: ServerMessage) => core.receive(m, 's').map((e) => formatPlain(e)?.line);
    expect(line(WELCOME)[0]).toContain('* users (3): alice, bob, carol (away)');
    expect(line({ type: 'away', name: 'bob', away: true, message: 'lunch', time: 0 })).toEqual(['00:00:00 -!- bob is away: lunch']);
    expect(line({ type: 'away', name: 'bob', away: false, time: 0 })).toEqual(['00:00:00 -!- bob is back']);
    expect(line({ type: 'away', name: 'alice', away: true, time: 0, ref: 'x' })).toEqual(['00:00:00 -!- you are away (/back when you return)']);
    expect(line({ type: 'whisper', id: 1, from: 'alice', to: 'carol', text: 'hi', time: 0, away: 'back at 3' })).toEqual(['00:00:00 -> *carol* hi\n00:00:00 -!- carol is away: back at 3']);
    expect(line({ type: 'whisper', id: 2, from: 'alice', to: 'carol', text: 'hi', time: 0 })).toEqual(['00:00:00 -> *carol* hi']);
  });

  test('after a reconnect the client says it is away again (the server forgets it with the connection)', () => {
    const core = new ClientCore('alice', 'tui', 't-');
    expect(core.awayAgain()).toBeUndefined();
    core.receive({ type: 'away', name: 'alice', away: true, message: 'brb', time: 0 }, 's');
    core.receive(WELCOME, 's');
    expect(core.awayAgain()).toEqual({ type: 'away', message: 'brb', ref: 't-1' });
    core.receive({ type: 'away', name: 'alice', away: false, time: 0 }, 's');
    expect(core.awayAgain()).toBeUndefined();
  });
});

describe('away on the screen', () => {
  test('the users pane dims and marks who is away; a whisper to them shows their message', async () => {
    const t = renderTui({ cols: 80, rows: 24 });
    open.push(t);
    const core = new ClientCore('alice', 'tui');
    const feed = (m: ServerMessage) => t.events(...core.receive(m, '127.0.0.1:7777'));
    await feed(WELCOME);
    await feed({ type: 'away', name: 'bob', away: true, message: 'lunch', time: Date.UTC(2024, 4, 1, 9, 5) });
    const frame = t.lastFrame();
    expect(frame).toMatch(/│z bob \(away\) +│/);
    expect(frame).toMatch(/│z carol \(away\) +│/);
    expect(frame).toMatch(/│\* alice \(you\) +│/);
    expect(frame).toContain('09:05 * bob is away: lunch');
    // Dimmed: drawn grey (SGR 90 or 37 on this terminal), not in the name's colour.
    const ansi = t.lastFrameAnsi().split('\n').find((l) => l.includes('bob (away)'))!;
    expect(ansi).toMatch(/\x1b\[(?:[0-9;]*;)?(?:90|37|38;5;(?:8|244|245|246|247|248))m[^\x1b]*z bob \(away\)/);

    await feed({ type: 'whisper', id: 7, from: 'alice', to: 'bob', text: 'lunch?', time: Date.UTC(2024, 4, 1, 9, 6), away: 'lunch' });
    expect(t.lastFrame()).toContain('(bob is away: lunch)');
    await feed({ type: 'away', name: 'bob', away: false, time: Date.UTC(2024, 4, 1, 9, 7) });
    expect(t.lastFrame()).toMatch(/│  bob +│/);
    expect(t.lastFrame()).toContain('09:07 * bob is back');
    await t.keys(KEY.escape);
  });
});
