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
