import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, test } from 'vitest';
import { SCENES } from '../../src/tui/scenes.js';
import { CELL_HEIGHT, CELL_WIDTH, PADDING, screenshot } from '../../src/tui/screen/svg.js';

// Issue 11, item 22: the pictures in screenshots/ look like the terminal. They are drawn from a terminal
// emulator's cells; here one is turned into pixels by rsvg-convert (Debian librsvg2-bin, as a reader's
// image viewer would) and the pixels are checked where the cells say borders and backgrounds are.

process.env.TZ = 'UTC';
const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-shots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function png(svgFile: string): PNG {
  const out = path.join(dir, path.basename(svgFile, '.svg') + '.png');
  execFileSync('rsvg-convert', ['-o', out, svgFile]);
  return PNG.sync.read(readFileSync(out));
}

function pixel(img: PNG, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

/** Is anything drawn in the pixel column through the middle of cell (col, row)? */
function inked(img: PNG, col: number, row: number): boolean {
  const x = PADDING + (col + 0.5) * CELL_WIDTH;
  for (let y = PADDING + row * CELL_HEIGHT + 2; y < PADDING + (row + 1) * CELL_HEIGHT - 2; y++) {
    for (const dx of [-1, 0, 1]) if (Math.max(...pixel(img, x + dx, y)) > 80) return true;
  }
  return false;
}

/** The colour in the middle of cell (col, row), away from any glyph's strokes when the cell is blank. */
function background(img: PNG, col: number, row: number): [number, number, number] {
  return pixel(img, PADDING + col * CELL_WIDTH + 1, PADDING + row * CELL_HEIGHT + 1);
}

describe('screenshots look like the terminal (item 22)', () => {
  test('unicode.svg as a PNG: the room border after emoji and CJK lines is in column 59 on every row', () => {
    const img = png(path.resolve('screenshots/unicode.svg'));
    for (let row = 1; row < 21; row++) {
      if (row === 14 || row === 15) continue; // the room's bottom and the whispers' top border
      expect(inked(img, 59, row), `row ${row}, column 59`).toBe(true);
      expect(inked(img, 60, row), `row ${row}, column 60`).toBe(true);
    }
  });

  test('backgrounds are drawn: the status bar is blue, a mention is highlighted', () => {
    const status = background(png(path.resolve('screenshots/conversation.svg')), 40, 23);
    expect(status[2], `status bar ${status}`).toBeGreaterThan(150);
    expect(status[0]).toBeLessThan(80);
    const text = readFileSync('screenshots/conversation.txt', 'utf8').split('\n');
    const row = text.findIndex((l) => l.includes('alice, did the build pass?'));
    const col = [...text[row]!].indexOf('h', text[row]!.indexOf('> ') + 2);
    const mention = background(png(path.resolve('screenshots/conversation.svg')), col, row);
    expect(mention[0], `mention ${mention}`).toBeGreaterThan(150);
    expect(mention[1]).toBeGreaterThan(150);
    expect(mention[2]).toBeLessThan(100);
  });

  test('runs of spaces are kept (help columns line up)', () => {
    expect(readFileSync('screenshots/help.svg', 'utf8')).toMatch(/xml:space="preserve"/);
  });

  test('every committed SVG is what the emulator draws for its scene today (npm run screenshots)', async () => {
    for (const scene of SCENES) {
      const { svg, emulator } = await screenshot(scene);
      emulator.dispose();
      const file = path.join(dir, `${scene.name}.svg`);
      writeFileSync(file, svg);
      expect(readFileSync(`screenshots/${scene.name}.svg`, 'utf8'), `screenshots/${scene.name}.svg is stale: run npm run screenshots`).toBe(svg);
    }
  });
});
