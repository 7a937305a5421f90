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

describe('keys after a password prompt', () => {
  test('the terminal keeps delivering keys to the screen after the no-echo prompt paused it', async () => {
    const { PassThrough } = await import('node:stream');
    const { keysOnly } = await import('../../../src/tui/screen/paste.js');
    const { askPasswordOnTerminal } = await import('../../../src/tui/screen/askpass.js');
    const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: (on: boolean) => void (input.isRaw = on) });
    const output = new PassThrough();
    const shown: string[] = [];
    output.on('data', (d: Buffer) => shown.push(d.toString()));
    const asked = askPasswordOnTerminal({ input, output }, 'password: ');
    input.write('s3cret\r');
    expect(await asked).toBe('s3cret');
    expect(shown.join('')).not.toContain('s3cret'); // no echo
    const keys = keysOnly(input, () => {});
    const got: string[] = [];
    keys.on('data', (d: Buffer) => got.push(d.toString()));
    input.write('hello');
    await new Promise((r) => setTimeout(r, 20));
    expect(got.join('')).toBe('hello');
  });
});
