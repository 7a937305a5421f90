import { cells, clusterCells, drawable, graphemes, splitAtCells } from './text.js';
import type { RoomLine, WhisperLine } from './state.js';
import { awayWords } from '../format.js';

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
}

export interface Segment {
  text: string;
  style?: Style;
}

export type Row = Segment[];

/** `HH:MM` in local time. */
export function hhmm(time: number): string {
  const d = new Date(time);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

const DIM: Style = { dim: true };
const TIME_WIDTH = 6;

function seg(text: string, style?: Style): Segment {
  return style ? { text: drawable(text), style } : { text: drawable(text) };
}

function name(n: string, me: boolean): Segment {
  return seg(n, { nick: n, bold: me });
}

export function roomSegments(l: RoomLine): { segments: Segment[]; indent: number } {
  switch (l.kind) {
    case 'message': {
      // Replayed history is dim and marked, so it is never mistaken for what is being said now.
      const time = seg(hhmm(l.time) + (l.history ? ' [history] ' : ' '), DIM);
      const textStyle: Style | undefined = l.history ? DIM : l.mention ? { fg: 'black', bg: 'yellow' } : l.own ? { bold: true } : undefined;
      if (l.action) return { segments: [time, seg('* ', textStyle), name(l.from, l.own), seg(' ' + l.text, textStyle)], indent: TIME_WIDTH };
      return { segments: [time, seg('<'), name(l.from, l.own), seg('> '), seg(l.text, textStyle)], indent: TIME_WIDTH };
    }
    case 'pending':
      return {
        segments: [seg('--:-- ', DIM), ...(l.action ? [seg('* ', DIM), seg(l.from, DIM), seg(' ' + l.text, DIM)] : [seg(`<${l.from}> `, DIM), seg(l.text, DIM)]), unsent(l.failed)],
        indent: TIME_WIDTH,
      };
    case 'system':
      return { segments: [seg((l.time === undefined ? '' : hhmm(l.time) + ' ') + '* ' + l.text, DIM)], indent: TIME_WIDTH };
    case 'help':
      return { segments: [seg(l.text, { fg: 'cyan' })], indent: 4 };
    case 'error':
      return { segments: [seg('! ' + l.text, { fg: 'red', bold: true })], indent: 2 };
  }
}

/** The mark after a line typed and not sent: still waiting, or why it never will be. */
function unsent(failed: string | undefined): Segment {
  return failed === undefined ? seg(' (not sent yet)', { fg: 'yellow' }) : seg(` (not sent: ${failed})`, { fg: 'red' });
}

export function whisperSegments(w: WhisperLine): { segments: Segment[]; indent: number } {
  const time = seg(w.time === undefined ? '--:-- ' : hhmm(w.time) + ' ', DIM);
  const peer = name(w.peer, false);
  const text = seg(' ' + w.text, w.pendingRef ? DIM : undefined);
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
  const close = seg(w.direct ? '*=' : '*', { fg: 'magenta' });
  if (w.outgoing) return { segments: [time, seg('→ *', { fg: 'magenta' }), peer, close, text, ...pending], indent: TIME_WIDTH };
  return { segments: [time, seg('*', { fg: 'magenta' }), peer, close, text, ...pending], indent: TIME_WIDTH };
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
    let rest = s.text;
    while (rest !== '') {
      const room = width - used;
      const [fits, more] = splitAtCells(rest, room);
      if (fits === '') {
        // A wide character that does not fit at the end of a row starts the next one.
        if (used === ind && clusterCells(graphemes(rest)[0]!) > room) return rows;
        newRow();
        continue;
      }
      let take = fits;
      if (more !== '' && !/^\s/.test(more)) {
        // Break at the last space when there is one, so words stay whole.
        const space = fits.lastIndexOf(' ');
        if (space > 0 && used + cells(fits.slice(0, space)) > ind) take = fits.slice(0, space + 1);
      }
      row.push(s.style ? { text: take, style: s.style } : { text: take });
      used += cells(take);
      rest = rest.slice(take.length);
      if (rest !== '') {
        newRow();
        rest = rest.replace(/^ +/, '');
      }
    }
  }
  rows.push(row);
  return rows;
}

/** The rows that fill `height` ending `scroll` lines from the bottom of `lines`. */
export function visibleRows<T>(lines: readonly T[], scroll: number, width: number, height: number, format: (l: T) => { segments: Segment[]; indent: number }): Row[] {
  const out: Row[] = [];
  for (let i = lines.length - 1 - scroll; i >= 0 && out.length < height; i--) {
    const { segments, indent } = format(lines[i]!);
    const rows = wrap(segments, width, indent);
    out.unshift(...rows);
  }
  return out.slice(Math.max(0, out.length - height));
}

/**
 * The most `lines` can be scrolled up (in lines from the bottom) while the view of `height` rows still
 * ends at a line, with the first line on its top row: scrolling further would only show blank rows.
 */
export function maxScroll<T>(lines: readonly T[], width: number, height: number, format: (l: T) => { segments: Segment[]; indent: number }): number {
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const { segments, indent } = format(lines[i]!);
    rows += wrap(segments, width, indent).length;
    if (rows >= height) return lines.length - 1 - i;
  }
  return 0;
}

export function rowText(row: Row): string {
  return row.map((s) => s.text).join('');
}
