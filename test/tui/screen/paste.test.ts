import { describe, expect, test } from 'vitest';
import { PasteSplitter } from '../../../src/tui/screen/paste.js';

describe('PasteSplitter', () => {
  test('lifts a bracketed paste out of the keys, in order', () => {
    expect(new PasteSplitter().push('ab\x1b[200~x\ny\x1b[201~c')).toEqual([
      { kind: 'keys', text: 'ab' },
      { kind: 'paste', text: 'x\ny' },
      { kind: 'keys', text: 'c' },
    ]);
  });

  // Known limit: a chunk ending in a lone ESC is the Escape key, so a start marker cut right after its ESC
  // (cut 2 here) is not recognised. Terminals write the marker and the paste together.
  test('markers split across chunks anywhere else give the same result', () => {
    const whole = 'k\x1b[200~line1\nline2\x1b[201~z';
    for (let cut = 1; cut < whole.length; cut++) {
      if (cut === 2) continue;
      const p = new PasteSplitter();
      const parts = [...p.push(whole.slice(0, cut)), ...p.push(whole.slice(cut))];
      const keys = parts.filter((x) => x.kind === 'keys').map((x) => x.text).join('');
      const pastes = parts.filter((x) => x.kind === 'paste').map((x) => x.text);
      expect([keys, pastes], `cut at ${cut}`).toEqual(['kz', ['line1\nline2']]);
    }
  });

  test('a lone Escape is passed on at once, not held back', () => {
    expect(new PasteSplitter().push('\x1b')).toEqual([{ kind: 'keys', text: '\x1b' }]);
  });
});
