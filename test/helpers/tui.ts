import { afterEach } from 'vitest';
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
