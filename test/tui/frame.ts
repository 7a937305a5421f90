import { charCells } from '../../src/tui/view/text.js';

// Reading a text frame by terminal cells, so tests can ask "what is at column x" the way a terminal would.

/** Each row as an array of cells; a wide character fills its cell and leaves '' in the next. */
export function cellGrid(frame: string): string[][] {
  return frame.split('\n').map((row) => {
    const cells: string[] = [];
    for (const ch of row) {
      cells.push(ch);
      if (charCells(ch) === 2) cells.push('');
    }
    return cells;
  });
}

/** Columns where `ch` appears in row `y`. */
export function columnsOf(frame: string, y: number, ch: string): number[] {
  return cellGrid(frame)[y]!.flatMap((c, x) => (c === ch ? [x] : []));
}
