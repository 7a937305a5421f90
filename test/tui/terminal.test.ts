import { afterEach, describe, expect, test } from 'vitest';
import { renderTui, type RenderedTui } from '../../src/tui/screen/headless.js';
import { ev } from '../../src/tui/scenes.js';

// Issue 11: what the client writes to the terminal does not depend on where it was started (item 23).

let t: RenderedTui | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe('the same bytes in every terminal (item 23)', () => {
  test('started inside tmux (TMUX set), the client writes no tmux passthrough and the same title', async () => {
    const saved = process.env.TMUX;
    process.env.TMUX = '/tmp/tmux-0/default,1234,0';
    try {
      t = renderTui({ cols: 60, rows: 16 });
      let raw = '';
      t.output.on('data', (d: Buffer) => (raw += d.toString()));
      await t.events(ev.connected(), ev.welcome(['alice', 'bob']), ev.say('bob', 'hi', 1));
      t.lastFrame();
      await new Promise((r) => setImmediate(r));
      expect(raw).not.toContain('\x1bPtmux;');
      expect(raw).not.toMatch(/\x1bP/);
      expect(raw).toContain('\x1b]0;parley alice\x07');
    } finally {
      if (saved === undefined) delete process.env.TMUX;
      else process.env.TMUX = saved;
    }
  });
});
