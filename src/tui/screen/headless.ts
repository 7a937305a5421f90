import { PassThrough } from 'node:stream';
import type { ChatEvent } from '../core/events.js';
import { Ui, type UiOptions } from './ui.js';
import { cells } from '../view/text.js';
import { TYPING_BURST_MS } from '../../wire/limits.js';
import { clusterOf } from './blessed.js';

// The full-screen client on fake terminal streams, for tests and screenshots: fixed size, keys written as
// the bytes a terminal would send, frames read back as text (../shared/TERMINAL.md "Headless tests").

export interface RenderedTui {
  ui: Ui;
  /** Everything blessed wrote, for piping into a terminal emulator. */
  output: PassThrough;
  /** Lines the client asked to send, as typed. */
  sent: string[];
  quits: number;
  /** The screen as plain text, one string per row, each exactly `cols` cells wide. */
  lastFrame(): string;
  /** The screen with SGR colours (blessed's own screenshot). */
  lastFrameAnsi(): string;
  keys(bytes: string): Promise<void>;
  events(...events: ChatEvent[]): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  cleanup(): void;
}

export const KEY = {
  enter: '\r',
  tab: '\t',
  escape: '\x1b',
  backspace: '\x7f',
  up: '\x1b[A',
  down: '\x1b[B',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  f1: '\x1bOP',
  f2: '\x1bOQ',
  f3: '\x1bOR',
  f4: '\x1bOS',
  f10: '\x1b[21~',
  ctrlN: '\x0e',
  ctrlL: '\x0c',
  ctrlQ: '\x11',
  paste: (text: string) => `\x1b[200~${text}\x1b[201~`,
  f5: '\x1b[15~',
  /** SGR (1006) mouse reports, as xterm and tmux send them; x and y are 0-based cells here. */
  wheelUp: (x: number, y: number) => `\x1b[<64;${x + 1};${y + 1}M`,
  wheelDown: (x: number, y: number) => `\x1b[<65;${x + 1};${y + 1}M`,
  click: (x: number, y: number) => `\x1b[<0;${x + 1};${y + 1}M\x1b[<0;${x + 1};${y + 1}m`,
} as const;

const tick = () => new Promise<void>((r) => setImmediate(r));

export function renderTui(o: { cols: number; rows: number; me?: string; server?: string; ui?: Partial<UiOptions> }): RenderedTui {
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: o.cols, rows: o.rows });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const sent: string[] = [];
  const r: RenderedTui = {
    ui: undefined as unknown as Ui, // set just below; the callbacks need `r`
    output,
    sent,
    quits: 0,
    lastFrame() {
      r.ui.flush();
      // From blessed's cells, each the cluster it shows (blessed's screenshot() would include the
      // blanks and cursor moves that frame clusters terminals measure differently).
      const lines = (r.ui.screen as unknown as { lines: [number, string][][] }).lines;
      const rows: string[] = [];
      for (let y = 0; y < o.rows; y++) {
        const row = (lines[y] ?? []).map((cell) => clusterOf(cell[1])).join('');
        rows.push(row + ' '.repeat(Math.max(0, o.cols - cells(row))));
      }
      return rows.join('\n');
    },
    lastFrameAnsi() {
      r.ui.flush();
      return r.ui.screen.screenshot();
    },
    async keys(bytes) {
      input.write(bytes);
      await tick();
      // An Enter is held back a moment to tell typing from a paste (TYPING_BURST_MS); a lone ESC or an
      // unfinished bracketed paste can be held too.
      if (/[\r\n\x1b]/.test(bytes)) await new Promise((r) => setTimeout(r, TYPING_BURST_MS + 5));
      await tick();
    },
    async events(...events) {
      for (const e of events) r.ui.event(e);
      await tick();
    },
    async resize(cols, rows) {
      output.columns = cols;
      output.rows = rows;
      o = { ...o, cols, rows };
      output.emit('resize');
      await tick();
    },
    cleanup() {
      r.ui.destroy();
      input.destroy();
    },
  };
  r.ui = new Ui({
    input,
    output,
    me: o.me ?? 'alice',
    server: o.server ?? '127.0.0.1:7777',
    onLine: (line) => sent.push(line),
    onQuit: () => r.quits++,
    ...o.ui,
  });
  return r;
}
