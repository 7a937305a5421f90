import { describe, expect, test } from 'vitest';
import { highlighter } from '../../../src/tui/notify/highlight.js';
import { Notifier, type Alert } from '../../../src/tui/notify/notifier.js';
import { NOTIFY_MIN_INTERVAL_MS } from '../../../src/wire/limits.js';

const words = (text: string, spans: { start: number; end: number }[]) => spans.map((s) => text.slice(s.start, s.end));

describe('highlights', () => {
  const hl = highlighter('bob', ['deploy', 'c++', 'parley']);
  test.each([
    ['bob: hi', ['bob']],
    ['hi @bob!', ['bob']],
    ['BOB?', ['BOB']],
    ['bobby and kebob', []],
    ['bob_x is someone else', []],
    ['the deploy failed, deployment too', ['deploy']],
    ['I write C++ daily', ['C++']],
    ['parley-server is up, says bob-smith', []],
    ['ask bob.', ['bob']],
    ['émile bob émile', ['bob']],
    ['bobé', []],
    ['', []],
  ])('%s', (text, expected) => {
    expect(words(text, hl(text))).toEqual(expected);
  });
  test('no words and an empty name highlight nothing; regex characters in words are literal', () => {
    expect(highlighter('', [''])('anything')).toEqual([]);
    expect(words('a.b axb', highlighter('zed', ['a.b'])('a.b axb'))).toEqual(['a.b']);
  });
});

describe('notifications', () => {
  function setup(o: { bell?: boolean; notify?: 'osc777' | 'osc9'; tmux?: boolean } = {}) {
    let t = 1_000_000;
    const out: string[] = [];
    const n = new Notifier({ bell: o.bell ?? true, features: { notify: o.notify, tmux: o.tmux ?? false }, write: (b) => out.push(b), now: () => t });
    return { n, out, advance: (ms: number) => (t += ms) };
  }
  const whisper: Alert = { kind: 'whisper', conversation: 'eve', from: 'eve', text: 'psst \x1b]0;owned\x07 look', seen: false };

  test('a whisper rings the bell and sends OSC 777 with sanitised text', () => {
    const { n, out } = setup({ notify: 'osc777' });
    expect(n.alert(whisper)).toEqual({ bell: true, desktop: true });
    expect(out).toEqual(['\x07', '\x1b]777;notify;parley: eve whispers;psst  look\x1b\\']);
  });

  test('OSC 9 where that is what the terminal speaks; wrapped for tmux inside tmux', () => {
    const { n, out } = setup({ notify: 'osc9', tmux: true, bell: false });
    n.alert({ kind: 'highlight', conversation: '#general', from: 'bob', text: 'alice: look', seen: false });
    expect(out).toEqual(['\x1bPtmux;\x1b\x1b]9;parley: bob in #general: alice: look\x1b\x1b\\\x1b\\']);
  });

  test(`rate-limited: at most one bell and one notification per ${NOTIFY_MIN_INTERVAL_MS} ms`, () => {
    const { n, out, advance } = setup({ notify: 'osc9' });
    const results = [];
    for (let i = 0; i < 20; i++) {
      results.push(n.alert(whisper));
      advance(NOTIFY_MIN_INTERVAL_MS / 10);
    }
    // 20 alerts over two intervals: exactly one ring and one notification per interval.
    expect(results.filter((r) => r.bell)).toHaveLength(2);
    expect(out.filter((b) => b === '\x07')).toHaveLength(2);
    expect(out.filter((b) => b.startsWith('\x1b]9;'))).toHaveLength(2);
    expect(results.map((r) => r.bell).indexOf(true, 1)).toBe(10);
  });

  test('no desktop notification about what is on screen in a focused terminal; the bell still rings', () => {
    const { n, out } = setup({ notify: 'osc777' });
    expect(n.alert({ ...whisper, seen: true })).toEqual({ bell: true, desktop: false });
    expect(out).toEqual(['\x07']);
  });

  test('bell off and no notification support: nothing is written', () => {
    const { n, out } = setup({ bell: false });
    expect(n.alert(whisper)).toEqual({ bell: false, desktop: false });
    expect(out).toEqual([]);
  });
});
