import { afterEach } from 'vitest';
import { Emulator } from '../../src/tui/screen/emulator.js';
import { renderTui, type RenderedTui } from '../../src/tui/screen/headless.js';

/** A factory of headless full screens at a fixed size, each cleaned up after its test. */
export function headlessScreens(): (cols: number, rows: number, ui?: Parameters<typeof renderTui>[0]['ui']) => RenderedTui {
  let open: RenderedTui[] = [];
  afterEach(() => {
    for (const t of open) t.cleanup();
    open = [];
  });
  return (cols, rows, ui = {}) => {
    const t = renderTui({ cols, rows, ui });
    open.push(t);
    return t;
  };
}

/**
 * A factory of headless full screens at a fixed size, each followed by a terminal emulator (xterm.js) fed
 * with its bytes, so a test reads what a person would see cell by cell; both cleaned up after the test.
 */
export function emulatedScreens(): (cols: number, rows: number, ui?: Parameters<typeof renderTui>[0]['ui']) => { t: RenderedTui; e: Emulator } {
  let open: { t: RenderedTui; e: Emulator }[] = [];
  afterEach(() => {
    for (const { t, e } of open) {
      t.cleanup();
      e.dispose();
    }
    open = [];
  });
  return (cols, rows, ui = {}) => {
    const t = renderTui({ cols, rows, ui });
    const e = new Emulator(cols, rows);
    e.follow(t.output);
    open.push({ t, e });
    return { t, e };
  };
}
