import { foldName } from '../../wire/names.js';

// Nick colours: a stable hash of the name (FNV-1a, as senpai does), so a person keeps their colour across
// sessions and on every screen. Red is left out: it means an error.

const PALETTE = ['#5fafff', '#87d75f', '#d7af5f', '#af87ff', '#5fd7d7', '#ff87af', '#d7d75f', '#87afd7', '#ffaf5f', '#5fd787', '#d787d7', '#afafaf'] as const;

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function nickColor(name: string): string {
  return PALETTE[fnv1a(foldName(name)) % PALETTE.length]!;
}
