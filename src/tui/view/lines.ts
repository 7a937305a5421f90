import { drawable, measured, type Measured } from './text.js';
import type { RoomLine, WhisperLine } from './state.js';
import { awayWords } from '../format.js';
import { findLinks } from './links.js';
import { DEFAULT_LOOK, timePlaceholder, timeText, timeWidth, type Look } from './look.js';
import { foldName } from '../../wire/names.js';

// Room and whisper lines as styled text, wrapped to a pane's width. Pure: the panes turn these rows into
// blessed content, the tests read them directly.

export interface Style {
  fg?: string;
  /** Coloured as this person's name (the painter picks the colour for the terminal's depth). */
  nick?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  underline?: boolean;
  /** A URL: drawn as an OSC 8 hyperlink (panes/frame.ts) where the look says the terminal has them. */
  link?: string;
}

export interface Segment {
  text: string;
  style?: Style;
}

export type Row = Segment[];

const DIM: Style = { dim: true };

function seg(text: string, style?: Style): Segment {
  return style ? { text: drawable(text), style } : { text: drawable(text) };
}

function name(n: string, me: boolean, dim = false): Segment {
  return seg(n, { nick: n, bold: me, ...(dim && { dim: true }) });
}

/**
 * Message text as segments: with hyperlinks on, each URL its own segment carrying the link (and drawn
 * underlined, in the `link` colour); elsewhere the text as it is. `text` is sanitised: the URL is taken
 * from it and encoded again by osc8() when drawn, so no byte of it forms an escape.
 */
function textSegments(text: string, style: Style | undefined, look: Look): Segment[] {
  const links = look.hyperlinks ? findLinks(text) : [];
  if (links.length === 0) return [seg(text, style)];
  const out: Segment[] = [];
  let at = 0;
  const linkStyle = (url: string): Style => ({ ...style, underline: true, link: url, ...(look.colors.link !== undefined && { fg: look.colors.link }) });
  for (const l of links) {
    if (l.start > at) out.push(seg(text.slice(at, l.start), style));
    out.push(seg(text.slice(l.start, l.end), linkStyle(l.url)));
    at = l.end;
  }
  if (at < text.length) out.push(seg(text.slice(at), style));
  return out;
}

/** Lines of people and events shown dimmed, and the colours of the rest, as the look says. */
function messageStyle(l: Extract<RoomLine, { kind: 'message' }>, look: Look, dimmed: boolean): Style | undefined {
  if (dimmed) return DIM;
  const c = look.colors;
  if (l.mention) return { fg: 'black', bg: c.mention ?? 'yellow' };
  if (l.own) return { bold: true, ...(c.own !== undefined && { fg: c.own }) };
  return undefined;
}

function systemStyle(l: Extract<RoomLine, { kind: 'system' }>, look: Look): Style | undefined {
  const c = look.colors.system;
  // A join, leave or rename the look dims is dim; one it does not stands out, in the system colour if
  // there is one; other system lines are in the system colour, or dim.
  if (l.event !== undefined) return look.dimEvents.includes(l.event) ? DIM : c === undefined ? undefined : { fg: c };
  return c === undefined ? DIM : { fg: c };
}

export function roomSegments(l: RoomLine, look: Look = DEFAULT_LOOK): { segments: Segment[]; indent: number } {
  const indent = timeWidth(look);
  switch (l.kind) {
    case 'message': {
      // Replayed history is dim and marked, so it is never mistaken for what is being said now.
      const history = l.history === true && look.dimEvents.includes('history');
      const dimmed = history || look.dimNames.includes(foldName(l.from));
      const time = seg(timeText(look, l.time) + (l.history ? ' [history] ' : ' '), DIM);
      const textStyle = messageStyle(l, look, dimmed);
      const text = textSegments(l.text, textStyle, look);
      if (l.action) return { segments: [time, seg('* ', textStyle), name(l.from, l.own, dimmed), seg(' ', textStyle), ...text], indent };
      return { segments: [time, seg('<', dimmed ? DIM : undefined), name(l.from, l.own, dimmed), seg('> ', dimmed ? DIM : undefined), ...text], indent };
    }
    case 'pending':
      return {
        segments: [seg(timePlaceholder(look) + ' ', DIM), ...(l.action ? [seg('* ', DIM), seg(l.from, DIM), seg(' ' + l.text, DIM)] : [seg(`<${l.from}> `, DIM), seg(l.text, DIM)]), unsent(l.failed)],
        indent,
      };
    case 'system':
      return { segments: [seg((l.time === undefined ? '' : timeText(look, l.time) + ' ') + '* ' + l.text, systemStyle(l, look))], indent };
    case 'help':
      return { segments: [seg(l.text, { fg: look.colors.help ?? 'cyan' })], indent: 4 };
    case 'error':
      return { segments: [seg('! ' + l.text, { fg: look.colors.error ?? 'red', bold: true })], indent: 2 };
  }
}

/** The mark after a line typed and not sent: still waiting, or why it never will be. */
function unsent(failed: string | undefined): Segment {
  return failed === undefined ? seg(' (not sent yet)', { fg: 'yellow' }) : seg(` (not sent: ${failed})`, { fg: 'red' });
}

export function whisperSegments(w: WhisperLine, look: Look = DEFAULT_LOOK): { segments: Segment[]; indent: number } {
  const indent = timeWidth(look);
  const time = seg((w.time === undefined ? timePlaceholder(look) : timeText(look, w.time)) + ' ', DIM);
  const peer = name(w.peer, false);
  const text = [seg(' '), ...textSegments(w.text, w.pendingRef ? DIM : undefined, look)];
  const pending = w.pendingRef
    ? [unsent(w.failed)]
    : w.stored
      ? [seg(' (stored: delivered when they log in)', { fg: 'yellow' })]
      : w.late
        ? [seg(' (sent while you were away)', { fg: 'yellow' })]
        : w.away !== undefined
          ? [seg(` (${awayWords(w.peer, w.away)})`, { fg: 'yellow' })]
          : [];
  // `*bob*=`: the same marker as line mode for a whisper that went client to client.
  const mark: Style = { fg: look.colors.whisper ?? 'magenta' };
  const close = seg(w.direct ? '*=' : '*', mark);
  if (w.outgoing) return { segments: [time, seg('→ *', mark), peer, close, ...text, ...pending], indent };
  return { segments: [time, seg('*', mark), peer, close, ...text, ...pending], indent };
}

/** Split styled text into rows of at most `width` cells; continuation rows start `indent` cells in. */
export function wrap(segments: Segment[], width: number, indent: number): Row[] {
  if (width <= 0) return [];
  const ind = indent < width / 2 ? indent : 0;
  const rows: Row[] = [];
  let row: Row = [];
  let used = 0;
  const newRow = () => {
    rows.push(row);
    row = ind > 0 ? [{ text: ' '.repeat(ind) }] : [];
    used = ind;
  };
  for (const s of segments) {
    // Each segment is cut into clusters and measured once; rows are made of runs of its clusters.
    const { clusters, cells } = segmentCells(s);
    let at = 0;
    while (at < clusters.length) {
      const room = width - used;
      let end = at;
      let fit = 0;
      while (end < clusters.length && fit + cells[end]! <= room) fit += cells[end++]!;
      if (end === at) {
        // A wide character that does not fit at the end of a row starts the next one.
        if (used === ind && cells[at]! > room) return rows;
        newRow();
        continue;
      }
      if (end < clusters.length && !/^\s/.test(clusters[end]!)) {
        // Break after the last space when there is one, so words stay whole.
        let space = end - 1;
        while (space > at && clusters[space] !== ' ') space--;
        if (space > at && used + sum(cells, at, space) > ind) {
          end = space + 1;
          fit = sum(cells, at, end);
        }
      }
      row.push(at === 0 && end === clusters.length ? s : piece(s, clusters, cells, at, end));
      used += fit;
      at = end;
      if (at < clusters.length) {
        newRow();
        while (clusters[at] === ' ') at++;
      }
    }
  }
  rows.push(row);
  return rows;
}

/**
 * Clusters `at` to `end` of segment `s`, in its style, as a segment of their own. A segment that fits whole
 * is its own piece: no copy of its text or its measure (most segments fit; the copies were half of what a
 * busy room allocated to wrap lines).
 */
function piece(s: Segment, clusters: string[], cells: number[], at: number, end: number): Segment {
  const p: Segment = { text: clusters.slice(at, end).join('') };
  if (s.style) p.style = s.style;
  // The row's segment is measured already: painting it every frame needs no segmenting.
  measuredSegments.set(p, { clusters: clusters.slice(at, end), cells: cells.slice(at, end) });
  return p;
}

/** Segments' clusters and widths, each measured once (held weakly: forgotten with the segment). */
const measuredSegments = new WeakMap<Segment, Measured>();

/** `seg`'s grapheme clusters and the cells each takes, measured at most once per segment object. */
export function segmentCells(seg: Segment): Measured {
  let m = measuredSegments.get(seg);
  if (!m) measuredSegments.set(seg, (m = measured(seg.text)));
  return m;
}

function sum(cells: number[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += cells[i]!;
  return n;
}

/** The rows that fill `height` ending `scroll` lines from the bottom of `lines`; `rowsOf` gives a line's rows. */
export function visibleRows<T>(lines: readonly T[], scroll: number, height: number, rowsOf: (l: T) => Row[]): Row[] {
  const picked: Row[][] = [];
  let count = 0;
  for (let i = lines.length - 1 - scroll; i >= 0 && count < height; i--) {
    const rows = rowsOf(lines[i]!);
    picked.push(rows);
    count += rows.length;
  }
  const out: Row[] = [];
  for (let i = picked.length - 1; i >= 0; i--) out.push(...picked[i]!);
  return out.slice(Math.max(0, out.length - height));
}

/**
 * The most `lines` can be scrolled up (in lines from the bottom) while the view of `height` rows still
 * ends at a line, with the first line on its top row: scrolling further would only show blank rows.
 */
export function maxScroll<T>(lines: readonly T[], height: number, rowCount: (l: T) => number): number {
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    rows += rowCount(lines[i]!);
    if (rows >= height) return lines.length - 1 - i;
  }
  return 0;
}

/**
 * The wrapped rows of the lines drawn lately, at one width and look. Segmenting and measuring text is the
 * client's dearest work (grapheme clusters, widths, links); a busy room redraws every frame, but only its
 * new lines are new. Lines are values the view state replaces and never edits, so a line object's rows are
 * fixed for a width and look. Only the lines of the last two frames keep their rows (`nextFrame`): what is
 * on screen, however tall the terminal, and nothing of the scrollback beside it. Kept for 1,024 lines, rows
 * were 5 KiB a line, a third of a full client's JS heap (issue 15, target 7).
 */
export class RowCache<T extends object> {
  /** Rows of the lines drawn in this frame. */
  private drawn = new Map<T, Row[]>();
  /** Rows of the lines drawn in the frame before: taken over when drawn again, forgotten otherwise. */
  private before = new Map<T, Row[]>();
  /**
   * How many rows each line wrapped at this width and look takes, kept for every line while it lives: the
   * room's first lines (which set how far it scrolls) were last drawn long ago, at the bottom.
   */
  private counts = new WeakMap<T, number>();
  private width = -1;
  private look: Look | undefined;

  /** Lines whose rows are kept (for tests). */
  get size(): number {
    return new Set([...this.drawn.keys(), ...this.before.keys()]).size;
  }

  /** A new frame: the rows of lines not drawn in the last one are let go. */
  nextFrame(): void {
    this.before = this.drawn;
    this.drawn = new Map();
  }

  /** `line`'s rows at `width` under `look`, from `format` the first time. */
  get(line: T, width: number, look: Look, format: (l: T) => { segments: Segment[]; indent: number }): Row[] {
    this.at(width, look);
    let rows = this.drawn.get(line);
    if (rows) return rows;
    rows = this.before.get(line);
    if (!rows) {
      const { segments, indent } = format(line);
      rows = wrap(segments, width, indent);
      this.counts.set(line, rows.length);
    }
    this.drawn.set(line, rows);
    return rows;
  }

  /** How many rows `line` takes at `width` under `look` (wrapping it only if it never was at this width). */
  count(line: T, width: number, look: Look, format: (l: T) => { segments: Segment[]; indent: number }): number {
    this.at(width, look);
    let n = this.counts.get(line);
    if (n === undefined) {
      const { segments, indent } = format(line);
      n = wrap(segments, width, indent).length;
      this.counts.set(line, n);
    }
    return n;
  }

  /** Forget every line's rows and counts when the width or the look changes. */
  private at(width: number, look: Look): void {
    if (width === this.width && look === this.look) return;
    this.drawn = new Map();
    this.before = new Map();
    this.counts = new WeakMap();
    this.width = width;
    this.look = look;
  }
}

export function rowText(row: Row): string {
  return row.map((s) => s.text).join('');
}
