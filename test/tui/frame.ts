import { clusterCells, graphemes } from '../../src/tui/view/text.js';

// Reading a text frame by terminal cells, so tests can ask "what is at column x" the way a terminal would.

/** Each row as an array of cells (grapheme clusters); a wide cluster fills its cell and leaves '' in the next. */
export function cellGrid(frame: string): string[][] {
  return frame.split('\n').map((row) => {
    const cells: string[] = [];
    for (const g of graphemes(row)) {
      cells.push(g);
      if (clusterCells(g) === 2) cells.push('');
    }
    return cells;
  });
}

/** Columns where `ch` appears in row `y`. */
export function columnsOf(frame: string, y: number, ch: string): number[] {
  return cellGrid(frame)[y]!.flatMap((c, x) => (c === ch ? [x] : []));
}

/** The arms of each box-drawing character: which neighbours its lines reach (up, right, down, left). */
const ARMS: Record<string, string> = {
  '─': 'rl',
  '│': 'ud',
  '┌': 'rd',
  '┐': 'dl',
  '└': 'ur',
  '┘': 'ul',
  '├': 'urd',
  '┤': 'udl',
  '┬': 'rdl',
  '┴': 'url',
  '┼': 'urdl',
};

/**
 * Where two box-drawing characters meet without joining: one's line runs into the other, which has no
 * line back (`┌┌`, `│─`). A line may end at a blank or at text (a label, a popup's margin), never at
 * another border. Reads a grid of cells (rows of cell strings), e.g. from an emulator.
 */
export function brokenJoints(grid: string[][]): string[] {
  const out: string[] = [];
  const at = (x: number, y: number) => ARMS[grid[y]?.[x] ?? ''];
  for (let y = 0; y < grid.length; y++) {
    for (let x = 0; x < grid[y]!.length; x++) {
      const me = at(x, y);
      if (me === undefined) continue;
      const right = at(x + 1, y);
      if (right !== undefined && me.includes('r') !== right.includes('l')) out.push(`row ${y}, columns ${x}-${x + 1}: ${grid[y]![x]}${grid[y]![x + 1]}`);
      const below = at(x, y + 1);
      if (below !== undefined && me.includes('d') !== below.includes('u')) out.push(`column ${x}, rows ${y}-${y + 1}: ${grid[y]![x]} over ${grid[y + 1]![x]}`);
    }
  }
  return out;
}
