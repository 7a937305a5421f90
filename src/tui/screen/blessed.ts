import { createRequire } from 'node:module';
import type * as Blessed from 'blessed';
import { clusterCells, graphemes } from '../view/text.js';
import { MEASURED_CLUSTERS } from '../../wire/limits.js';

// The one place parley touches the terminal library. We use reblessed 0.2.1, an API-compatible blessed
// fork (README "Terminal library"); it ships no usable types, so it is cast to @types/blessed here, with
// the few corrections those types need, and nowhere else.

const require = createRequire(import.meta.url);

interface Unicode {
  charWidth(str: string | number, i?: number): number;
  chars: { all: RegExp };
}

/** @types/blessed declares screenshot() as void; it returns the screen as text with SGR colours. */
export type Screen = Omit<Blessed.Widgets.Screen, 'screenshot'> & {
  screenshot(): string;
  program: Blessed.BlessedProgram & { bell(): void; output: NodeJS.WritableStream; tput: { brokenACS: boolean } };
};

interface Library {
  // @types/blessed has input and output the wrong way round.
  screen(options: Omit<Blessed.Widgets.IScreenOptions, 'input' | 'output'> & { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; fullUnicode?: boolean; forceUnicode?: boolean }): Screen;
  box(options: Blessed.Widgets.BoxOptions): Blessed.Widgets.BoxElement;
  unicode: Unicode;
}

// Only the parts parley draws with, each required on its own: reblessed's index loads all 35 of its widgets
// (lists, forms, file manager, images, video, a terminal emulator), code a client never runs but keeps in
// memory from the start. require() of an untyped CommonJS module: these casts are the adapter's whole point.
const LIB = 'reblessed/dist/lib/';
export const blessed: Library = {
  screen: require(`${LIB}widgets/screen.js`) as Library['screen'],
  box: require(`${LIB}widgets/box.js`) as Library['box'],
  unicode: require(`${LIB}unicode.js`) as Unicode,
};
export type Box = Blessed.Widgets.BoxElement;

// The panes write whole grapheme clusters into cells (panes/frame.ts); blessed's draw loop asks the width of
// a cell's text to know whether it covers the next cell too. Answer with our measure, the same one the
// layout used, instead of reblessed's table (which measures BMP emoji such as ✅ as one cell).
const unicode = blessed.unicode;
unicode.charWidth = (str, i) => {
  if (typeof str === 'number') return clusterCells(String.fromCodePoint(str));
  const at = i ?? 0;
  // Called for every changed cell of every frame: a cell of one printable ASCII character needs no segmenting.
  if (str.length === at + 1) {
    const c = str.charCodeAt(at);
    if (c >= 0x20 && c < 0x7f) return 1;
  }
  const cell = at === 0 ? str : str.slice(at);
  let width = cellWidths.get(cell);
  if (width === undefined) {
    const rest = clusterOf(cell);
    width = rest === '' ? 0 : clusterCells(graphemes(rest)[0]!);
    if (cellWidths.size >= MEASURED_CLUSTERS) cellWidths.clear();
    cellWidths.set(cell, width);
  }
  return width;
};

/** Widths of the non-ASCII cells drawn lately (the same few recur every frame), at most MEASURED_CLUSTERS. */
const cellWidths = new Map<string, number>();

/** A cell's text with its cursor moves: blanks, a move back to the cell, the cluster, a move past it. */
const PINNED = /^ *\x1b\[\d+G([\s\S]*)\x1b\[\d+G$/;

/** A cell's text inside an OSC 8 hyperlink (term/osc.ts osc8Link): the opening sequence, the text, the closing one. */
const LINKED = /^\x1b\]8;[^\x1b]*\x1b\\([\s\S]*)\x1b\]8;;\x1b\\$/;

/** The cluster a cell shows, without the hyperlink and cursor moves `cellText` framed it with. */
export function clusterOf(text: string): string {
  const inner = LINKED.exec(text)?.[1] ?? text;
  return PINNED.exec(inner)?.[1] ?? inner;
}

/**
 * The text of one cell: a grapheme cluster; when terminals disagree about its width (`pinned`), it is
 * framed by cursor moves: its `cells` are first blanked (a terminal that draws it narrower leaves no stale
 * character beside it), then it is drawn from `column` (0-based), then the cursor goes to where the
 * layout put the next cell (a terminal that draws it wider then still draws everything after it in place).
 */
export function cellText(cluster: string, column: number, cells: number, pinned: boolean, link?: { open: string; close: string }): string {
  const text = pinned ? `${' '.repeat(cells)}\x1b[${column + 1}G${cluster}\x1b[${column + cells + 1}G` : cluster;
  return link ? link.open + text + link.close : text;
}
