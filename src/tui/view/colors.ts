import { foldName } from '../../wire/names.js';

// Nick colours: a stable hash of the name (FNV-1a, as senpai does), so a person keeps their colour across
// sessions and on every screen. Palettes are terminal colour numbers, not RGB: blessed's RGB matching
// folds most pastel RGB colours into the same few basic ones (bob, carol, dave, frank and zoe all came out
// the same yellow). Red is left out everywhere: it means an error.

/** 256-colour terminals: 16 hues from the xterm colour cube, bright enough on a dark background. */
export const PALETTE_256 = [39, 76, 178, 135, 44, 205, 214, 69, 114, 170, 227, 110, 215, 43, 141, 186] as const;
/** 16-colour terminals: every colour but black, white, grey and the two reds. */
export const PALETTE_16 = [2, 3, 4, 5, 6, 10, 11, 12, 13, 14] as const;
/** 8-colour terminals: green, yellow, blue, magenta, cyan. */
export const PALETTE_8 = [2, 3, 4, 5, 6] as const;

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The terminal colour number for `name` on a terminal with `colors` colours (256, 16 or 8). */
export function nickColor(name: string, colors = 256): number {
  const palette: readonly number[] = colors >= 256 ? PALETTE_256 : colors >= 16 ? PALETTE_16 : PALETTE_8;
  return palette[fnv1a(foldName(name)) % palette.length]!;
}

/**
 * `#rrggbb` as the nearest colour of xterm's 256-colour palette (the 6x6x6 cube or the 24 greys), for
 * colours a person chose in the config: blessed's own RGB matching folds most of them into a few basic ones.
 */
export function xterm256(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  const steps = [0, 0x5f, 0x87, 0xaf, 0xd7, 0xff];
  const near = (v: number) => steps.reduce((best, s, i) => (Math.abs(s - v) < Math.abs(steps[best]! - v) ? i : best), 0);
  const [ri, gi, bi] = [near(r), near(g), near(b)];
  const cube = 16 + 36 * ri + 6 * gi + bi;
  const cubeDist = (steps[ri]! - r) ** 2 + (steps[gi]! - g) ** 2 + (steps[bi]! - b) ** 2;
  const grey = Math.min(23, Math.max(0, Math.round(((r + g + b) / 3 - 8) / 10)));
  const level = 8 + grey * 10;
  const greyDist = (level - r) ** 2 + (level - g) ** 2 + (level - b) ** 2;
  return greyDist < cubeDist ? 232 + grey : cube;
}
