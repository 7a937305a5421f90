import { describe, expect, test } from 'vitest';
import { cells, clusterCells, drawable, graphemes, rememberedWidth } from '../../../src/tui/view/text.js';
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

describe('wrap', () => {
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
