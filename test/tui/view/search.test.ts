import { describe, expect, test } from 'vitest';
import { findAll, matchesOn, refreshSearch, scrollFor, searchStatus, startSearch, stepSearch } from '../../../src/tui/view/search.js';
import { SCROLLBACK_LINES } from '../../../src/wire/limits.js';

/** 5,000 lines of a busy room; every 97th mentions the deploy, some twice, in varying case. */
function busyRoom(): string[] {
  return Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? `<bob> the Deploy ${i} is done${i % 2 ? ' (deploy again)' : ''}` : `<carol> line ${i} about nothing`));
}

describe('search over the scrollback', () => {
  test('the scrollback holds 5,000 lines, so all of them can be searched', () => {
    expect(SCROLLBACK_LINES).toBeGreaterThanOrEqual(5000);
  });

  test('every match in 5,000 lines, with positions, oldest first', () => {
    const lines = busyRoom();
    const matches = findAll(lines, 'deploy');
    const expected = lines.flatMap((l, line) => [...l.matchAll(/deploy/gi)].map((m) => ({ line, start: m.index, end: m.index + 6 })));
    expect(matches).toEqual(expected);
    expect(matches).toHaveLength(52 + 26);
    expect(lines[matches[0]!.line]!.slice(matches[0]!.start, matches[0]!.end)).toBe('Deploy');
  });

  test('starts at the newest match and steps back through all of them, wrapping', () => {
    const lines = busyRoom();
    let s = startSearch(lines, 'DEPLOY');
    expect(s.matches[s.current]!.line).toBe(4947);
    const visited = new Set<number>();
    for (let i = 0; i < s.matches.length; i++) {
      visited.add(s.current);
      s = stepSearch(s, -1);
    }
    expect(visited.size).toBe(s.matches.length);
    expect(s.current).toBe(s.matches.length - 1);
    expect(stepSearch(s, 1).current).toBe(0);
  });

  test('the scroll that shows a match: at the bottom it is 0; far back it puts the line on screen', () => {
    expect(scrollFor(4999, 5000, 20)).toBe(0);
    const scroll = scrollFor(10, 5000, 21);
    // The room pane shows lines total-1-scroll-(rows-1) .. total-1-scroll.
    const bottom = 5000 - 1 - scroll;
    expect(bottom).toBeGreaterThanOrEqual(10);
    expect(bottom - 20).toBeLessThanOrEqual(10);
  });

  test('case-insensitive beyond ASCII; the query is text, not a pattern', () => {
    expect(findAll(['ÉCOLE école', 'a.b axb', '(x)'], 'école').map((m) => m.line)).toEqual([0, 0]);
    expect(findAll(['a.b axb'], 'a.b')).toEqual([{ line: 0, start: 0, end: 3 }]);
    expect(findAll(['(x)'], '(x')).toEqual([{ line: 0, start: 0, end: 2 }]);
    expect(findAll(['anything'], '')).toEqual([]);
  });

  test('no match: a clear status and nothing to step to', () => {
    const s = startSearch(['a', 'b'], 'zzz');
    expect(s.current).toBe(-1);
    expect(stepSearch(s, 1)).toBe(s);
    expect(searchStatus(s)).toBe('no match for "zzz"');
    expect(searchStatus(startSearch(['x a', 'a'], 'a'))).toBe('match 2 of 2 for "a"');
  });

  test('new lines and lines falling off the top keep the current match', () => {
    const lines = ['a hit', 'b', 'c hit', 'd'];
    let s = stepSearch(startSearch(lines, 'hit'), -1); // on 'a hit'
    expect(s.matches[s.current]!.line).toBe(0);
    s = refreshSearch(s, [...lines, 'e hit'], 0);
    expect(s.matches[s.current]!.line).toBe(0);
    s = stepSearch(s, 1);
    s = refreshSearch(s, ['c hit', 'd', 'e hit'], 2); // two lines dropped from the top
    expect(s.matches[s.current]!.line).toBe(0);
    expect(matchesOn(s, 2)).toEqual([{ line: 2, start: 2, end: 5 }]);
  });
});
