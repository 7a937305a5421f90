import { Emulator, type EmulatedCell } from './emulator.js';
import { renderTui, type RenderedTui } from './headless.js';

// An emulator's screen as an SVG picture: every cell at its own column (so text after a wide character
// stands where a terminal puts it), backgrounds as rectangles, runs of spaces kept (xml:space), the cell's
// own colours, bold and dim. One <text> per run of cells with the same look, each run placed by column.

export const CELL_WIDTH = 8.4;
export const CELL_HEIGHT = 19;
export const PADDING = 8;
const DEFAULT_FG = '#d3d3d3';
const DEFAULT_BG = '#000000';

export function screenSvg(e: Emulator): string {
  const width = e.cols * CELL_WIDTH + 2 * PADDING;
  const height = e.rows * CELL_HEIGHT + 2 * PADDING;
  const backgrounds: string[] = [];
  const texts: string[] = [];
  for (let y = 0; y < e.rows; y++) {
    const top = PADDING + y * CELL_HEIGHT;
    let x = 0;
    while (x < e.cols) {
      const c = e.cell(x, y);
      const { fg, bg } = colours(c);
      // A run: cells with the same look, each narrow or wide, kept together for fewer elements.
      let end = x + Math.max(1, c.width);
      let text = c.chars;
      while (end < e.cols) {
        const n = e.cell(end, y);
        const k = colours(n);
        if (k.fg !== fg || k.bg !== bg || n.bold !== c.bold || n.width !== 1 || c.width !== 1 || isBlockOrLine(n.chars) !== isBlockOrLine(c.chars)) break;
        text += n.chars;
        end++;
      }
      const left = PADDING + x * CELL_WIDTH;
      const cellsWide = end - x;
      if (bg !== DEFAULT_BG) backgrounds.push(`<rect x="${r2(left)}" y="${r2(top)}" width="${r2(cellsWide * CELL_WIDTH)}" height="${CELL_HEIGHT}" fill="${bg}"/>`);
      if (text.trim() !== '') {
        // textLength pins the run to its cells whatever the font's advance: columns stay columns.
        texts.push(
          `<text x="${r2(left)}" y="${r2(top + CELL_HEIGHT * 0.75)}" fill="${fg}"${c.bold ? ' font-weight="bold"' : ''} textLength="${r2(cellsWide * CELL_WIDTH)}" lengthAdjust="spacingAndGlyphs">${escapeXml(text)}</text>`,
        );
      }
      x = end;
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r2(width)}" height="${r2(height)}" viewBox="0 0 ${r2(width)} ${r2(height)}" ` +
    `font-family="DejaVu Sans Mono, Source Code Pro, monospace" font-size="14" xml:space="preserve">\n` +
    `<rect x="0" y="0" width="${r2(width)}" height="${r2(height)}" fill="${DEFAULT_BG}"/>\n` +
    backgrounds.join('\n') +
    '\n' +
    texts.join('\n') +
    '\n</svg>\n'
  );
}

/** Box drawing and block elements get their own runs, so a border is never stretched with text. */
function isBlockOrLine(chars: string): boolean {
  return /^[\u2500-\u259f]$/.test(chars);
}

function colours(c: EmulatedCell): { fg: string; bg: string } {
  let fg = c.fg ?? DEFAULT_FG;
  let bg = c.bg ?? DEFAULT_BG;
  if (c.inverse) [fg, bg] = [bg, fg];
  if (c.dim) fg = dimmed(fg);
  return { fg, bg };
}

function dimmed(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const f = (v: number) => Math.round(v * 0.6).toString(16).padStart(2, '0');
  return `#${f(n >> 16)}${f((n >> 8) & 0xff)}${f(n & 0xff)}`;
}

function r2(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}

/** A scene played headless: the snapshot text (blessed's cells) and an SVG of the emulated terminal. */
export async function screenshot(scene: { cols: number; rows: number; ui?: Parameters<typeof renderTui>[0]['ui']; play(t: RenderedTui): Promise<void> }): Promise<{ text: string; svg: string; emulator: Emulator }> {
  const t = renderTui({ cols: scene.cols, rows: scene.rows, ...(scene.ui && { ui: scene.ui }) });
  const emulator = new Emulator(scene.cols, scene.rows);
  emulator.follow(t.output);
  try {
    await scene.play(t);
    const text = t.lastFrame();
    await emulator.settle();
    return { text, svg: screenSvg(emulator), emulator };
  } finally {
    t.cleanup();
  }
}
