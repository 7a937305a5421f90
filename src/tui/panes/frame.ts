import { blessed, cellText, type Box, type Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import { segmentCells, type Row, type Style } from '../view/lines.js';
import { disputedWidth } from '../view/text.js';
import { nickColor, xterm256 } from '../view/colors.js';
import { osc8Link } from '../term/osc.js';

// What every pane shares: a box placed by the layout, and styled rows painted into its cells. The text
// never goes through blessed's content parser: that parser gives every UTF-16 unit a cell of its own, so
// combining marks (Thai, Devanagari, Arabic, Hebrew) took cells terminals do not give them, and `{...}` in
// a message was markup. Instead each grapheme cluster is written into one cell (two for wide ones) of the
// screen buffer, the way a terminal stores it.

export const FOCUS_COLOR = 'cyan';
export const BORDER_COLOR = 'gray';

/** A blessed box whose content is the rows last given to `paint`. */
export type TextBox = Box & { rows: Row[] };

export function textBox(screen: Screen, options: Parameters<typeof blessed.box>[0]): TextBox {
  const box = Object.assign(blessed.box({ parent: screen as never, wrap: false, ...options }), { rows: [] as Row[] });
  const render = box.render.bind(box);
  // blessed calls render() on every screen render; the cells are painted right after the box's own
  // (border, background, label), before any box in front of it renders over them.
  box.render = () => {
    const coords = render() as Coords | undefined;
    if (coords) paint(screen, box, coords);
    return coords as never;
  };
  return box;
}

/** A bordered box: every pane. */
export function frame(screen: Screen, label: string): TextBox {
  return textBox(screen, {
    border: { type: 'line' },
    label,
    style: { border: { fg: BORDER_COLOR }, label: { fg: 'white' } },
  });
}

interface Coords {
  xi: number;
  xl: number;
  yi: number;
  yl: number;
}

type Cell = [number, string];

/** Cells past its own that a terminal may draw a cluster over: 👍🏽 takes 4 in tmux, 👨‍👩‍👧 6 in xterm.js. */
const SPILL = 4;
type ScreenLines = (Cell[] & { dirty?: boolean })[];

function paint(screen: Screen, box: TextBox, c: Coords): void {
  const b = box as unknown as { ileft: number; iright: number; itop: number; ibottom: number; style: Style & Record<string, unknown>; sattr(style: object): number };
  const { lines, olines } = screen as unknown as { lines: ScreenLines; olines: ScreenLines };
  const xi = c.xi + b.ileft;
  const xl = c.xl - b.iright;
  const yi = c.yi + b.itop;
  const yl = c.yl - b.ibottom;
  const base = { fg: b.style.fg, bg: b.style.bg };
  const depth = (screen as unknown as { tput: { colors: number } }).tput.colors;
  box.rows.forEach((row, i) => {
    const y = yi + i;
    const line = lines[y];
    const old = olines[y];
    if (y >= yl || !line || !old) return;
    let x = xi;
    // Coordinates can be a frame old while the screen is resized: never write past the line.
    const end = Math.min(xl, line.length);
    for (const seg of row) {
      const attr = b.sattr(cellStyle(base, seg.style, depth));
      // Each cell of a link is a whole OSC 8 link of its own: blessed redraws only the cells that changed.
      const link = seg.style?.link === undefined ? undefined : osc8Link(seg.style.link);
      const { clusters, cells } = segmentCells(seg);
      for (let n = 0; n < clusters.length; n++) {
        const g = clusters[n]!;
        const w = cells[n]!;
        if (w === 0) continue;
        if (x + w > end) break;
        const disputed = disputedWidth(g);
        // Cells are changed in place, as blessed's own drawing does: an array a cell a frame was most of
        // what a busy room allocated, and it lived just long enough to be promoted to the old generation.
        set(line[x]!, attr, cellText(g, x, w, disputed, link));
        // The cells the cluster covers hold nothing of their own: blessed writes '' for them (it skips the
        // second cell of a two-cell one anyway), so the terminal's cursor stays where the cluster left it.
        for (let k = 1; k < w; k++) set(line[x + k]!, attr, '');
        x += w;
        // A terminal that drew it wider wrote over the next cells: have blessed write them again too.
        if (disputed) for (let k = x; k < Math.min(x + SPILL, old.length); k++) old[k]![1] = '\0';
      }
    }
    line.dirty = true;
  });
}

function set(cell: Cell, attr: number, text: string): void {
  cell[0] = attr;
  cell[1] = text;
}

function cellStyle(base: { fg?: unknown; bg?: unknown }, s: Style | undefined, depth: number): object {
  if (!s) return base;
  return {
    // Dim wins over a name's colour: a dimmed name (someone away) must look set apart.
    fg: s.fg !== undefined ? color(s.fg, depth) : s.dim ? 'gray' : s.nick !== undefined ? nickColor(s.nick, depth) : base.fg,
    bg: s.bg !== undefined ? color(s.bg, depth) : base.bg,
    bold: s.bold === true,
    underline: s.underline === true,
    inverse: s.inverse === true,
  };
}

/** A colour as blessed takes it: `#rrggbb` as its 256-colour number where the terminal has them. */
function color(c: string, depth: number): string | number {
  return depth >= 256 && /^#[0-9a-fA-F]{6}$/.test(c) ? xterm256(c) : c;
}

export function place(box: Box, r: Rect | undefined): void {
  if (!r) {
    box.hide();
    return;
  }
  box.show();
  box.top = r.top;
  box.left = r.left;
  box.width = r.width;
  box.height = r.height;
}

/** The rows a box shows from the next render on. */
export function show(box: TextBox, rows: Row[]): void {
  box.rows = rows;
  // Marks the box changed; blessed redraws it on the next render. Without clearing where it was: blessed
  // clears on a move, a resize or hide, and its render fills the box anyway (a busy room's frame wrote
  // every cell of every pane three times).
  (box.setContent as (content: string, noClear: boolean) => void).call(box, '', true); // @types/blessed omits noClear
}

export function setFocused(box: Box, focused: boolean, alert = false): void {
  const style = box.style as { border: { fg: string }; label?: { fg: string; bold?: boolean } };
  style.border.fg = focused ? FOCUS_COLOR : alert ? 'magenta' : BORDER_COLOR;
  if (style.label) {
    style.label.fg = alert ? 'magenta' : 'white';
    style.label.bold = alert;
  }
}
