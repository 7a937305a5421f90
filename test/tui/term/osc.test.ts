import { describe, expect, test } from 'vitest';
import { osc777, osc8Link, osc9, tmuxPassthrough, MAX_NOTIFICATION_CHARS } from '../../../src/tui/term/osc.js';
import { termFeatures } from '../../../src/tui/term/features.js';
import { ESCAPE_CORPUS } from '../../helpers/corpus.js';

/** The payload between the OSC introducer and its terminator holds no control byte at all. */
function payloadsAreInert(seq: string): void {
  const parts = seq.split(/\x1b\][0-9]+;|\x1b\\/).filter((p) => p !== '');
  for (const p of parts) expect(p).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
}

describe('OSC sequences the client writes', () => {
  test('OSC 777 notify: title and body; ";" cannot split the title', () => {
    expect(osc777('parley: bob; whispers', 'hi there')).toBe('\x1b]777;notify;parley: bob, whispers;hi there\x1b\\');
  });

  test('OSC 9: one text; a leading "N;" is not taken for a ConEmu command', () => {
    expect(osc9('parley', 'hi')).toBe('\x1b]9;parley: hi\x1b\\');
    expect(osc9('4', 'progress')).toBe('\x1b]9;4: progress\x1b\\');
    expect(osc9('', '4;1;50')).toBe('\x1b]9;: 4;1;50\x1b\\');
    expect(osc9('4;1', '50')).toBe('\x1b]9; 4;1: 50\x1b\\');
  });

  test('OSC 8: a link opened with an id (the same for the same URL) and closed; the URL percent-encoded to printable ASCII', () => {
    const link = osc8Link('https://example.org/a b/ü')!;
    expect(link.open).toMatch(/^\x1b\]8;id=[0-9a-z]+;https:\/\/example\.org\/a%20b\/%C3%BC\x1b\\$/);
    expect(link.close).toBe('\x1b]8;;\x1b\\');
    expect(osc8Link('https://example.org/a b/ü')).toEqual(link);
    expect(osc8Link('https://example.org/other')!.open).not.toBe(link.open);
    expect(osc8Link('not a url')).toBeUndefined();
    expect(osc8Link('https://example.org/' + 'a'.repeat(3000))).toBeUndefined();
  });

  test('no remote text can end a sequence early or start another: the escape corpus in every field', () => {
    for (const [name, evil] of Object.entries(ESCAPE_CORPUS)) {
      const link = osc8Link(`https://example.org/${evil}`);
      for (const seq of [osc777(evil, evil), osc9(evil, evil), link ? link.open + link.close : '']) {
        payloadsAreInert(seq);
        // Exactly the introducers and terminators the client put there, nothing the text brought.
        expect((seq.match(/\x1b/g) ?? []).length, name).toBe(seq === '' ? 0 : seq.startsWith('\x1b]8') ? 4 : 2);
      }
    }
  });

  test('notification text is capped', () => {
    const seq = osc9('t', 'x'.repeat(5000));
    expect(seq.length).toBeLessThan(MAX_NOTIFICATION_CHARS + 10);
  });

  test('tmux passthrough doubles each ESC inside', () => {
    expect(tmuxPassthrough('\x1b]9;hi\x1b\\')).toBe('\x1bPtmux;\x1b\x1b]9;hi\x1b\x1b\\\x1b\\');
  });
});

describe('terminal features from the environment', () => {
  test('known terminals get links and their notification sequence; unknown ones get plain text', () => {
    expect(termFeatures({ TERM_PROGRAM: 'iTerm.app' }, 'auto', 'auto')).toEqual({ hyperlinks: true, notify: 'osc9', tmux: false });
    expect(termFeatures({ TERM: 'foot' }, 'auto', 'auto')).toEqual({ hyperlinks: true, notify: 'osc777', tmux: false });
    expect(termFeatures({ TERM: 'rxvt-unicode-256color' }, 'auto', 'auto')).toEqual({ hyperlinks: false, notify: 'osc777', tmux: false });
    expect(termFeatures({ VTE_VERSION: '7200', TERM: 'xterm-256color' }, 'auto', 'auto')).toEqual({ hyperlinks: true, notify: undefined, tmux: false });
    expect(termFeatures({ TERM: 'xterm-256color' }, 'auto', 'auto')).toEqual({ hyperlinks: false, notify: undefined, tmux: false });
    expect(termFeatures({ TERM: 'linux' }, 'auto', 'auto')).toEqual({ hyperlinks: false, notify: undefined, tmux: false });
  });
  test('the config forces either way', () => {
    expect(termFeatures({ TERM: 'linux', TMUX: '/tmp/x' }, 'on', 'osc777')).toEqual({ hyperlinks: true, notify: 'osc777', tmux: true });
    expect(termFeatures({ TERM_PROGRAM: 'iTerm.app' }, 'off', 'off')).toEqual({ hyperlinks: false, notify: undefined, tmux: false });
  });
});
