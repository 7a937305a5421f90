import { describe, expect, test } from 'vitest';
import { KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { Emulator } from '../../src/tui/screen/emulator.js';
import { ev } from '../../src/tui/scenes.js';
import { emulatedScreens } from '../helpers/tui.js';
import { brokenJoints } from './frame.js';

// Issue 11, items 10, 13 and 14: text in every script drawn as grapheme clusters, measured by a Unicode
// width library, with pane and popup borders straight, checked in a real terminal emulator (xterm.js)
// fed with the client's bytes.

process.env.TZ = 'UTC';

/** Words with combining marks in four scripts: a base and its marks share one cell. */
const MARKED = {
  thai: 'ที่น้ำ',
  devanagari: 'नमस्ते किताब',
  arabic: 'مَرْحَبًا',
  hebrew: 'שָׁלוֹם',
} as const;

/** Sequences terminals draw as one picture, and characters outside the BMP. */
const SEQUENCES = {
  flags: '🇫🇷🇯🇵',
  keycap: '1️⃣',
  skinTone: '👍🏽',
  emojiPresentation: '🛡️❤️',
  astralLetters: '𝐀𝐁𝐂 𠀋',
  bmpEmoji: '✅☕',
} as const;

const client = emulatedScreens();

/** The emulator's screen after a full redraw (Ctrl+L), as rows of cells. */
async function emulated(t: RenderedTui, e: Emulator): Promise<string[][]> {
  await t.keys(KEY.ctrlL);
  t.lastFrame();
  await e.settle();
  return Array.from({ length: e.rows }, (_, y) => Array.from({ length: e.cols }, (_, x) => e.cell(x, y).chars));
}

describe('combining marks are drawn, not deleted (item 13)', () => {
  test('Thai, Devanagari, Arabic with harakat and Hebrew with niqqud reach the screen whole, in the room and in the input line', async () => {
    const { t, e } = client(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    for (const [i, word] of Object.values(MARKED).entries()) await t.events(ev.say('bob', word, i));
    await t.keys(MARKED.thai + ' ' + MARKED.hebrew);
    const frame = t.lastFrame();
    for (const word of Object.values(MARKED)) expect(frame).toContain(`<bob> ${word}`);
    expect(frame.split('\n')[22]).toMatch(new RegExp(`^alice> ${MARKED.thai} ${MARKED.hebrew} +$`));
    // In the terminal: ที่ is one cell holding the base and both marks, and the word is whole.
    await emulated(t, e);
    const text = Array.from({ length: 24 }, (_, y) => e.line(y)).join('\n');
    for (const word of Object.values(MARKED)) expect(text).toContain(word);
    const row = Array.from({ length: 24 }, (_, y) => y).find((y) => e.line(y).includes(MARKED.thai))!;
    const x = e.line(row).indexOf('<bob> ') + 6;
    expect(e.cell(x, row).chars).toBe('ที่');
  });

  test('the input line moves and deletes by grapheme cluster', async () => {
    const { t } = client(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice']));
    await t.keys('नमस्ते');
    await t.keys(KEY.backspace); // स्ते is one cluster: all of it goes
    expect(t.ui.state.input).toBe('नम');
    await t.keys(KEY.backspace + KEY.backspace + 'ที่x');
    await t.keys('\x1b[D\x1b[D'); // Left twice: before ที่, not between its marks
    await t.keys('\x1b[3~'); // Delete
    expect(t.ui.state.input).toBe('x');
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> x +$/);
  });
});

describe('no character a terminal can draw becomes U+FFFD (item 14)', () => {
  test('emoji sequences and astral letters keep their clusters whole, and every pane border stays straight', async () => {
    const { t, e } = client(80, 24);
    let raw = '';
    t.output.on('data', (d: Buffer) => (raw += d.toString()));
    await t.events(ev.connected(), ev.welcome(['alice', 'bob', 'carol']));
    const corpus = [...Object.values(SEQUENCES), ...Object.values(MARKED)];
    for (const [i, text] of corpus.entries()) await t.events(ev.say(i % 2 ? 'bob' : 'carol', text, i));
    await t.events(ev.whisper('bob', 'alice', Object.values(SEQUENCES).join(' '), 20));
    await t.keys(SEQUENCES.emojiPresentation + SEQUENCES.flags);
    const frame = t.lastFrame();
    expect(frame).not.toContain('\ufffd');
    for (const text of Object.values(SEQUENCES)) expect(frame).toContain(text);
    const grid = await emulated(t, e);
    const screen = grid.map((r) => r.join(''));
    expect(screen.join('\n')).not.toContain('\ufffd');
    // Every cluster reached the terminal whole: nothing between its code points. How many cells a terminal
    // gives it is the terminal's business (xterm.js draws 👍🏽 in four, so its tone is overdrawn by what
    // follows, where the layout wants it), but nothing after it moves.
    for (const cluster of ['🇫🇷', '🇯🇵', '1️⃣', '👍🏽', '🛡️', '❤️', '𝐀', '𠀋', '✅']) expect(raw, cluster).toContain(cluster);
    for (let y = 1; y < 21; y++) {
      if (y === 14 || y === 15) continue; // the room's bottom and the whispers' top border
      expect(e.columnsOf(y, '│'), `row ${y}: ${screen[y]}`).toEqual([0, 59, 60, 79]);
    }
    expect(brokenJoints(grid)).toEqual([]);
  });
});

describe('popups draw cleanly (item 10)', () => {
  const popups: Record<string, (t: RenderedTui) => Promise<void>> = {
    help: (t) => t.keys(KEY.f1),
    rename: (t) => t.keys(KEY.f2),
    whisper: (t) => t.keys(KEY.f4),
    paste: (t) => t.keys(KEY.paste('one\ntwo\nthree')),
    consent: (t) => t.events({ kind: 'private_request', from: 'bob', time: 0 }),
    password: async (t) => t.ui.dispatch({ type: 'ask-password', purpose: 'register', name: 'alice', why: '' }),
  };
  for (const [cols, rows] of [
    [100, 30],
    [80, 24],
    [40, 12],
  ] as const) {
    test(`at ${cols}x${rows} no popup leaves a broken border (doubled corners, lines running into its frame)`, async () => {
      for (const [name, openPopup] of Object.entries(popups)) {
        const { t, e } = client(cols, rows);
        await t.events(ev.connected(), ev.welcome(['alice', 'bob', 'carol']), ev.say('bob', 'hello 中文 ที่ 👍🏽', 1));
        await openPopup(t);
        expect(t.ui.state.popup?.kind, name).toBeDefined();
        const grid = await emulated(t, e);
        expect(brokenJoints(grid), `${name} popup:\n${grid.map((r) => r.join('')).join('\n')}`).toEqual([]);
      }
    });
  }
});
