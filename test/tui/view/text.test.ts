import { describe, expect, test } from 'vitest';
import { cells, clusterCells, drawable, graphemes, nextCluster, prevCluster, rememberedWidth } from '../../../src/tui/view/text.js';
import { MEASURED_CLUSTER_UNITS } from '../../../src/wire/limits.js';
import { wrap } from '../../../src/tui/view/lines.js';
import { nickColor } from '../../../src/tui/view/colors.js';

describe('drawable text', () => {
  test('escape sequences, C1 and bidi controls are removed before drawing', () => {
    expect(drawable('a\x1b[2Jb\x9b31mc\u202Ed\x1b]0;title\x07e')).toBe('abcde');
  });

  test('clusters are kept whole and measured as terminals draw them', () => {
    expect(drawable('🇫🇷 ❤️ 👍🏽 e\u0301 ที่')).toBe('🇫🇷 ❤️ 👍🏽 é ที่');
    expect(drawable('𝐀')).toBe('𝐀');
    expect(cells('a😀中✅')).toBe(7);
    expect(cells('ที่')).toBe(1);
    expect(cells('🇫🇷👍🏽❤️')).toBe(6);
  });

  test('a mark left without its base sits on a dotted circle instead of joining the cell to its left', () => {
    expect(drawable('\u0e48x')).toBe('\u25cc\u0e48x');
  });

  test('a cluster longer than MEASURED_CLUSTER_UNITS (Zalgo text) is measured right each time but not remembered', () => {
    const stacked = (marks: number) => 'e' + '\u0301'.repeat(marks);
    const zalgo = stacked(2000);
    expect(graphemes(zalgo)).toEqual([zalgo]);
    expect(clusterCells(zalgo)).toBe(1);
    expect(cells(`${zalgo}中`)).toBe(3);
    expect(rememberedWidth(zalgo)).toBeUndefined();
    // The longest cluster that is remembered, and one unit more.
    expect(clusterCells(stacked(MEASURED_CLUSTER_UNITS - 1))).toBe(1);
    expect(rememberedWidth(stacked(MEASURED_CLUSTER_UNITS - 1))).toBe(1);
    expect(clusterCells(stacked(MEASURED_CLUSTER_UNITS))).toBe(1);
    expect(rememberedWidth(stacked(MEASURED_CLUSTER_UNITS))).toBeUndefined();
  });

  test('leading and trailing spaces survive (panes indent with them)', () => {
    expect(drawable('  x ')).toBe('  x ');
  });
});

describe('grapheme clusters', () => {
  // The code points whose cluster rules are the hard part of UAX #29: marks (Extend, SpacingMark), ZWJ,
  // Prepend, regional indicators, emoji and their modifiers, Hangul jamo and syllables, Indic consonants
  // with a virama (conjuncts, GB9c), variation selectors, the keycap, and plain letters and digits around them.
  const POOL = [
    'a', '1', ' ', '#', 'é', 'Ж', '中', 'ก', '\u0301', '\u0e48', '\u0e33', '\u093f', '\u0915', '\u0937', '\u094d', '\u0924',
    '\u200d', '\u200c', '\ufe0f', '\u20e3', '\u0600', '\u0d4e', '\u{1f1eb}', '\u{1f1f7}', '\u{1f600}', '\u{1f44d}', '\u{1f3fd}',
    '\u{1f468}', '\u{1f469}', '\u2764', '\u1100', '\u1161', '\u11a8', '\uac00', '\uac01', '\u{1d400}', '\u{e0061}', '\u00a9',
  ];

  test("are the same as Node's own segmenter (ICU) gives, for any mix of the code points with cluster rules", () => {
    const icu = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    let seed = 15;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: 1 + random(12) }, () => POOL[random(POOL.length)]).join('');
      const expected = [...icu.segment(text)].map((s) => s.segment);
      expect(graphemes(text), JSON.stringify(text)).toEqual(expected);
      const at = random(text.length + 1);
      const starts = [...icu.segment(text)].map((s) => s.index);
      expect(prevCluster(text, at)).toBe(Math.min(at, Math.max(0, ...starts.filter((x) => x < at))));
      expect(nextCluster(text, at)).toBe([...starts, text.length].find((x) => x > at) ?? text.length);
    }
  });
});

describe('wrap', () => {
  test('a segment that fits on its row is drawn as it is, not copied; one that does not is cut at a space', () => {
    const fits = { text: 'hello 中文 😀 ünï' };
    const long = { text: 'a line of words that goes past the edge' };
    const rows = wrap([fits, long], 30, 2);
    expect(rows[0]![0]).toBe(fits);
    expect(rows.map((r) => r.map((x) => x.text).join(''))).toEqual(['hello 中文 😀 ünïa line of ', '  words that goes past the ', '  edge']);
  });

  test('wraps at spaces by cells and indents continuation rows', () => {
    const rows = wrap([{ text: '09:00 ' }, { text: 'aaa 中文中文 bbb' }], 14, 6);
    expect(rows.map((r) => r.map((s) => s.text).join(''))).toEqual(['09:00 aaa ', '      中文中文', '      bbb']);
    for (const r of rows) expect(cells(r.map((s) => s.text).join(''))).toBeLessThanOrEqual(14);
  });
});

test('nick colours are stable and ignore case', () => {
  expect(nickColor('Bob')).toBe(nickColor('bob'));
  expect(new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((n) => nickColor(n))).size).toBeGreaterThan(2);
});
