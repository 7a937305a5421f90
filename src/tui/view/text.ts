import { eastAsianWidth } from 'get-east-asian-width';
import stringWidth from 'string-width';
import { collectGraphemes, splitGraphemes } from 'unicode-segmenter/grapheme';
import { sanitizeText } from '../../wire/sanitize.js';
import { MEASURED_CLUSTER_UNITS, MEASURED_CLUSTERS } from '../../wire/limits.js';

// Text as the full-screen client draws it: grapheme clusters (UAX #29, from unicode-segmenter), each measured
// in terminal cells with get-east-asian-width and string-width's emoji rules, never by a table of our own.
// A base character and its combining marks (Thai tone marks, Devanagari vowel signs, Arabic harakat,
// Hebrew niqqud) are one cluster and share one cell, as terminals draw them; emoji ZWJ sequences, flags,
// keycaps and skin tones are one cluster of two cells. Everything received is sanitised again here (the
// server may not be ours) before it is cut into clusters.

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The grapheme clusters of `text`, in order (UAX #29 extended grapheme clusters). unicode-segmenter, not
 * Node's Intl.Segmenter: the same clusters (it is tested against it, and against Unicode's own test file),
 * 20-35 times faster on chat lines (Latin, Cyrillic, CJK with emoji: 2-23 µs a line against 74-350), and
 * no ICU break iterator copied in native memory per call (issue 15, target 7: a busy room cuts every line).
 */
export function graphemes(text: string): string[] {
  // Each printable ASCII character is a cluster of its own.
  if (PRINTABLE_ASCII.test(text)) return text.split('');
  return collectGraphemes(text);
}

/** Emoji and the sequences built on them; string-width knows which of these draw two cells wide. */
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;
/** Code points that take no cell of their own: marks that sit on their base, format and ignorable ones. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/**
 * Cells one grapheme cluster takes on screen. Emoji clusters (ZWJ sequences, flags, keycaps, modifiers,
 * variation selectors) by string-width's RGI emoji rules; other text as terminals lay it out, by each code
 * point's East Asian Width with marks on their base: `ที่` 1, `น้ำ` 2 (SARA AM is a spacing vowel), the
 * conjunct `स्ते` 2. string-width alone counts only the base of such clusters, where tmux, xterm.js and
 * VTE all give the spacing parts their own cells.
 */
export function clusterCells(cluster: string): number {
  if (cluster.length === 1) {
    const c = cluster.charCodeAt(0);
    if (c >= 0x20 && c < 0x7f) return 1; // the common case, without the regexes
  }
  // A chat's other clusters are the same few again and again (a script's letters, the usual emoji), and
  // string-width's RGI emoji test is slow: each is measured once.
  const known = widths.get(cluster);
  if (known !== undefined) return known;
  const n = measure(cluster);
  if (cluster.length > MEASURED_CLUSTER_UNITS) return n;
  if (widths.size >= MEASURED_CLUSTERS) widths.clear();
  widths.set(cluster, n);
  return n;
}

/**
 * Widths of the non-ASCII clusters met lately (at most MEASURED_CLUSTERS, each of at most
 * MEASURED_CLUSTER_UNITS UTF-16 units; emptied when full).
 */
const widths = new Map<string, number>();

/** The width remembered for `cluster`, if any (for tests). */
export function rememberedWidth(cluster: string): number | undefined {
  return widths.get(cluster);
}

function measure(cluster: string): number {
  if (EMOJI.test(cluster)) return Math.min(2, stringWidth(cluster));
  let n = 0;
  for (const ch of cluster) if (!ZERO_WIDTH.test(ch)) n += eastAsianWidth(ch.codePointAt(0)!);
  return n;
}

/** Text cut into grapheme clusters with the cells each takes: what drawing and wrapping walk. */
export interface Measured {
  clusters: string[];
  cells: number[];
}

/** `text`'s grapheme clusters and the cells each takes. */
export function measured(text: string): Measured {
  const clusters = graphemes(text);
  return { clusters, cells: clusters.map(clusterCells) };
}

/** Cells `text` takes, cluster by cluster. */
export function cells(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let n = 0;
  for (const g of graphemes(text)) n += clusterCells(g);
  return n;
}

const MARK = /\p{M}/u;

/** A lone mark with nothing to sit on is shown on a dotted circle, as Unicode's charts and fonts do. */
const DOTTED_CIRCLE = '\u25cc';

/**
 * Remote or typed text made safe to draw: sanitised (escapes, C0/C1, bidi, invisible format characters),
 * whole clusters kept. A cluster that measures zero cells (a combining mark with no base, after
 * sanitising removed what it sat on) gets a dotted circle to sit on, so nothing typed is silently lost
 * and nothing is drawn into the cell of whatever happens to be on its left.
 */
export function drawable(text: string): string {
  // sanitizeText trims; spaces are harmless and the panes' own padding and indentation need them.
  const lead = /^ */.exec(text)![0];
  if (lead.length === text.length) return text;
  const trail = / *$/.exec(text)![0];
  const clean = sanitizeText(text);
  // Only a cluster with a mark can measure zero cells; text without one needs no segmenting.
  if (PRINTABLE_ASCII.test(clean) || !MARK.test(clean)) return lead + clean + trail;
  let out = '';
  for (const g of graphemes(clean)) out += clusterCells(g) === 0 && MARK.test(g) ? DOTTED_CIRCLE + g : g;
  return lead + out + trail;
}

/**
 * Does terminal software disagree about this cluster's width? Sequences (ZWJ, variation selectors,
 * modifiers, keycaps, flags, marks) and emoji are drawn 1, 2 or 4 cells wide depending on the terminal
 * (tmux 3.3 draws `🛡️` in one cell and `👍🏽` in four; xterm.js draws `👨‍👩‍👧` in six). The drawing code
 * puts the cursor back where the layout says the next cell is after each of these, so a terminal that
 * measures otherwise garbles at most that cluster's own cells, never a border to its right.
 */
export function disputedWidth(cluster: string): boolean {
  if (cluster.length === 1) {
    const c = cluster.charCodeAt(0);
    if (c < 0x2000) return false; // Latin, Greek, Cyrillic, Hebrew, Arabic letters: everyone agrees
    return /\p{Extended_Pictographic}|\p{Emoji_Presentation}/u.test(cluster);
  }
  // More than one UTF-16 unit: an astral character or a sequence. Astral letters (𝐀) are agreed on.
  return [...cluster].length > 1 || /\p{Extended_Pictographic}|\p{Emoji_Presentation}|\p{Regional_Indicator}/u.test(cluster);
}

/** The longest prefix of `text` that fits in `width` cells (whole clusters), and the rest. */
export function splitAtCells(text: string, width: number): [string, string] {
  let used = 0;
  let i = 0;
  for (const g of graphemes(text)) {
    const w = clusterCells(g);
    if (used + w > width) break;
    used += w;
    i += g.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** `text` cut to `width` cells, with an ellipsis when cut. */
export function fitCells(text: string, width: number): string {
  if (width <= 0) return '';
  if (cells(text) <= width) return text;
  return splitAtCells(text, width - 1)[0] + '…';
}

/** Index in `text` of the cluster boundary before `i` (UTF-16 units). */
export function prevCluster(text: string, i: number): number {
  let at = 0;
  let index = 0;
  for (const segment of splitGraphemes(text)) {
    if (index >= i) break;
    at = index;
    index += segment.length;
  }
  return Math.min(at, i);
}

/** Index in `text` of the cluster boundary after `i` (UTF-16 units). */
export function nextCluster(text: string, i: number): number {
  let end = 0;
  for (const segment of splitGraphemes(text)) {
    end += segment.length;
    if (end > i) return end;
  }
  return text.length;
}
