import { expect, test, vi } from 'vitest';
import { renderTui } from '../../src/tui/screen/headless.js';
import { ev } from '../../src/tui/scenes.js';
test('dbg', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance', 'Date'] });
  const t = renderTui({ cols: 100, rows: 30 });
  t.output.resume();
  t.ui.event(ev.connected());
  t.ui.event(ev.welcome(['alice', 'bob']));
  await vi.advanceTimersByTimeAsync(100);
  let frames = 0;
  const render = t.ui.screen.render.bind(t.ui.screen);
  t.ui.screen.render = () => { frames++; render(); };
  let n = 0;
  for (let ms = 0; ms < 1000; ms += 10) {
    for (let k = 0; k < 10; k++) { n++; t.ui.event(ev.say('bob', n % 50 === 0 ? `alice: hi ${n}` : `message ${n}`, 1)); }
    await vi.advanceTimersByTimeAsync(10);
  }
  console.log('FRAMES', frames, (t.ui as any).flooded, t.ui.state.pageRows);
});
