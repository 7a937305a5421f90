import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/tui/config/config.js';
import { KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { Emulator, PALETTE_256 } from '../../src/tui/screen/emulator.js';
import { lookOf } from '../../src/tui/view/look.js';
import { ev } from '../../src/tui/scenes.js';
import { emulatedScreens } from '../helpers/tui.js';

// What the config file's look settings do on screen (issue 17, item 1): the time format, colours per role,
// dimmed names and events. Read back from a real terminal emulator, cell by cell, as a person would see them.

process.env.TZ = 'UTC';

const screens = emulatedScreens();

async function screen(toml: string): Promise<{ t: RenderedTui; e: Emulator; at: (text: string) => { x: number; y: number } }> {
  const { config, problems } = parseConfig(toml);
  expect(problems).toEqual([]);
  const { t, e } = screens(80, 24, { look: lookOf(config, false) });
  await t.events(ev.connected(), ev.welcome(['alice', 'bob', 'buildbot']));
  await t.events(
    ev.joined('carol', 1),
    ev.say('bob', 'morning', 2),
    ev.say('buildbot', 'build 17 passed', 3),
    ev.say('carol', 'alice: lunch?', 4, { mention: true }),
    ev.say('alice', 'yes', 5),
    ev.left('carol', 6),
    { kind: 'error', text: 'that went wrong' },
    ev.whisper('bob', 'alice', 'psst', 7),
  );
  await t.keys(KEY.ctrlL);
  t.lastFrame();
  await e.settle();
  const at = (text: string) => {
    for (let y = 0; y < 24; y++) {
      const x = e.line(y).indexOf(text);
      if (x >= 0) return { x, y };
    }
    throw new Error(`"${text}" is not on the screen:\n${Array.from({ length: 24 }, (_, y) => e.line(y)).join('\n')}`);
  };
  return { t, e, at };
}

const GREY = PALETTE_256[8];

describe('the look from the config file', () => {
  test('without settings: HH:MM, joins, leaves and history dimmed, mentions on yellow, errors red', async () => {
    const { e, at } = await screen('');
    const join = at('09:01 * carol has joined');
    expect(e.cell(join.x + 8, join.y).fg).toBe(GREY);
    const mention = at('alice: lunch?');
    expect(e.cell(mention.x, mention.y).bg).toBe(PALETTE_256[3]);
    const err = at('! that went wrong');
    expect(e.cell(err.x + 2, err.y).fg).toBe(PALETTE_256[1]);
  });

  test('timestamp, colours, dimmed names and events are applied', async () => {
    const { e, at } = await screen(
      [
        'timestamp = "%I:%M %p"',
        '[colors]',
        'own = "#ff8700"',
        'mention = "cyan"',
        'whisper = "green"',
        'error = "magenta"',
        'system = "blue"',
        'dim_names = ["BuildBot"]',
        'dim_events = ["leave"]',
      ].join('\n'),
    );
    // The time column in the chosen format; history and the rest line up after it.
    at('09:02 AM <bob> morning');
    // buildbot's whole line is dimmed, its name too; bob's is not.
    const bot = at('<buildbot> build 17 passed');
    expect(e.cell(bot.x + 1, bot.y).fg).toBe(GREY);
    expect(e.cell(bot.x + 12, bot.y).fg).toBe(GREY);
    const bob = at('<bob> morning');
    expect(e.cell(bob.x + 6, bob.y).fg).toBeUndefined();
    // A join is no longer dimmed: it stands in the system colour; a leave still is.
    const join = at('09:01 AM * carol has joined');
    expect(e.cell(join.x + 11, join.y).fg).toBe(PALETTE_256[4]);
    const left = at('carol has left');
    expect(e.cell(left.x, left.y).fg).toBe(GREY);
    const mention = at('alice: lunch?');
    expect(e.cell(mention.x, mention.y).bg).toBe(PALETTE_256[6]);
    const own = at('<alice> yes');
    expect(e.cell(own.x + 8, own.y).fg).toBe('#ff8700');
    const err = at('! that went wrong');
    expect(e.cell(err.x + 2, err.y).fg).toBe(PALETTE_256[5]);
    const whisper = at('*bob* psst');
    expect(e.cell(whisper.x, whisper.y).fg).toBe(PALETTE_256[2]);
  });
});

describe('key overrides from the config file', () => {
  test('[keys] search = ["f6"] moves /search to F6: F6 types it, F5 no longer does, the status bar shows the new keys', async () => {
    const { config } = parseConfig('[keys]\nsearch = ["f6"]\nhelp = "M-q"\n');
    const { t } = screens(100, 24, { keys: config.keys });
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    await t.keys('\x1b[15~'); // F5
    expect(t.ui.state.input).toBe('');
    await t.keys('\x1b[17~'); // F6
    expect(t.ui.state.input).toBe('/search ');
    expect(t.lastFrame().split('\n')[23]).toMatch(/Alt\+Q Help  F2 Rename/);
    expect(t.lastFrame().split('\n')[23]).not.toContain('F1 Help');
  });
});
