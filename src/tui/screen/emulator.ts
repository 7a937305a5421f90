import xterm from '@xterm/headless';
import { Unicode11Addon } from '@xterm/addon-unicode11';

// A real terminal emulator (xterm.js, headless) fed with the bytes the client writes: what a person's
// terminal would show, cell by cell, with colours. Tests read borders and clusters from it, and
// `npm run screenshots` draws its cells as SVG, so pictures and checks see the same screen.
// Dev-only: @xterm/headless is a devDependency, loaded only by tests and the screenshots script.

/** One cell as the emulator holds it. Colours are `#rrggbb`, or undefined for the terminal's default. */
export interface EmulatedCell {
  /** The cell's text (a whole grapheme cluster); '' for the second half of a wide one, ' ' when blank. */
  chars: string;
  width: number;
  fg?: string;
  bg?: string;
  bold: boolean;
  dim: boolean;
  inverse: boolean;
}

export class Emulator {
  readonly term: xterm.Terminal;
  private written = Promise.resolve();

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';
  }

  /** Feed bytes, in order. */
  write(data: Buffer | string): void {
    this.written = this.written.then(() => new Promise<void>((r) => this.term.write(typeof data === 'string' ? data : new Uint8Array(data), r)));
  }

  /** Follow a stream: everything written to it from now on reaches the emulator. */
  follow(output: NodeJS.ReadableStream): void {
    output.on('data', (d: Buffer | string) => this.write(d));
  }

  /** Wait until everything fed so far has been parsed. */
  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.written;
  }

  cell(x: number, y: number): EmulatedCell {
    const c = this.term.buffer.active.getLine(y)?.getCell(x);
    if (!c) return { chars: ' ', width: 1, bold: false, dim: false, inverse: false };
    const colour = (mode: 'fg' | 'bg'): string | undefined => {
      if (mode === 'fg' ? c.isFgDefault() : c.isBgDefault()) return undefined;
      const v = mode === 'fg' ? c.getFgColor() : c.getBgColor();
      if (mode === 'fg' ? c.isFgRGB() : c.isBgRGB()) return '#' + v.toString(16).padStart(6, '0');
      return PALETTE_256[v];
    };
    const width = c.getWidth();
    return {
      chars: width === 0 ? '' : c.getChars() || ' ',
      width,
      ...optional('fg', colour('fg')),
      ...optional('bg', colour('bg')),
      bold: c.isBold() !== 0,
      dim: c.isDim() !== 0,
      inverse: c.isInverse() !== 0,
    };
  }

  /** Row `y` as text: each cell's characters, wide clusters once. */
  line(y: number): string {
    let out = '';
    for (let x = 0; x < this.cols; x++) out += this.cell(x, y).chars;
    return out;
  }

  /** Columns of row `y` whose cell holds exactly `chars`. */
  columnsOf(y: number, chars: string): number[] {
    const xs: number[] = [];
    for (let x = 0; x < this.cols; x++) if (this.cell(x, y).chars === chars) xs.push(x);
    return xs;
  }

  dispose(): void {
    this.term.dispose();
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** xterm's 256-colour palette: 16 system colours, the 6x6x6 cube, 24 greys. */
export const PALETTE_256: readonly string[] = (() => {
  const system = ['#000000', '#cd0000', '#00cd00', '#cdcd00', '#0000ee', '#cd00cd', '#00cdcd', '#e5e5e5', '#7f7f7f', '#ff0000', '#00ff00', '#ffff00', '#5c5cff', '#ff00ff', '#00ffff', '#ffffff'];
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  const steps = [0, 0x5f, 0x87, 0xaf, 0xd7, 0xff];
  const cube: string[] = [];
  for (const r of steps) for (const g of steps) for (const b of steps) cube.push(`#${hex(r)}${hex(g)}${hex(b)}`);
  const greys = Array.from({ length: 24 }, (_, i) => `#${hex(8 + i * 10).repeat(3)}`);
  return [...system, ...cube, ...greys];
})();
