// The receivers' side of the load generator: find every payload in what a socket read, and every
// keepalive, without parsing lines. At a million deliveries a second this is most of the generator's own
// work, so it is built to make no call into C++ per delivery (see scan).
import { MARKER, PAYLOAD_FIELDS_BYTES } from './protocols.js';

/** Longest partial line kept between reads (a welcome listing 10,000 names is ~200 KB). */
export const MAX_CARRY = 4 * 1024 * 1024;

/** What one receiving connection keeps between reads. */
export interface LineReader {
  /** Bytes after the last newline of the previous read. */
  carry: Buffer | null;
  /**
   * Layout of the last payload line taken apart: the marker's offset from the start of its line (`head`)
   * and from the marker to the line's newline (`tail`; 0 until learned). See nextMarker.
   */
  head: number;
  tail: number;
}

export function lineReader(): LineReader {
  return { carry: null, head: 0, tail: 0 };
}

/** nextMarker: the line at `at` ends the read (its end found where the layout said). */
const LAST_LINE = -1;
/** nextMarker: no further marker in the read. */
const NONE = -2;
/** Whether nextMarker's answer came from the layout (true) or a search (false). */
let guessed = false;

/**
 * Hand every payload of the whole lines in `chunk` (after what `r` carried) to `payload` (the buffer and
 * the marker's offset; the payload's fields are all there), and every match of `keepalive` that starts
 * before the last newline to `ping`; keep the partial line for the next read. A search (Buffer#indexOf) is
 * a call into C++ of about 0.2 µs: the earlier loop made one per delivery and three more per read. Now,
 * while lines keep their layout, a read made of whole payload lines costs no search at all: the first
 * marker is where the last line's layout says, each next one too, and such a read holds no keepalive.
 */
export function scan(r: LineReader, chunk: Buffer, keepalive: Buffer, payload: (buf: Buffer, at: number) => void, ping: (buf: Buffer, at: number) => void): void {
  let buf = chunk;
  if (r.carry !== null) {
    buf = Buffer.concat([r.carry, chunk]);
    r.carry = null;
  }
  const len = buf.length;
  // A read usually ends with a whole line.
  const last = buf[len - 1] === 10 ? len - 1 : buf.lastIndexOf(10);
  if (last < 0) {
    if (len <= MAX_CARRY) r.carry = Buffer.from(buf);
    return;
  }
  if (last + 1 < len) r.carry = Buffer.from(buf.subarray(last + 1));
  // buf starts at a line's start: its marker, if it is a payload line laid out as the last one, is at head.
  const first = r.tail > 0 && r.head < last && isMarker(buf, r.head);
  let at = first ? r.head : buf.indexOf(MARKER);
  // Every line from 0 to `last` seen to be a payload line: no keepalive among them.
  let covered = first;
  if (at >= 0 && at < last) {
    do {
      if (at + PAYLOAD_FIELDS_BYTES <= len) payload(buf, at);
      at = nextMarker(r, buf, at, last);
      if (at !== LAST_LINE && !guessed) covered = false;
    } while (at >= 0);
  } else covered = false;
  if (covered) return;
  for (let p = buf.indexOf(keepalive); p >= 0 && p < last; p = buf.indexOf(keepalive, p + 1)) ping(buf, p);
}

/** `~B~` at `at`. */
function isMarker(buf: Buffer, at: number): boolean {
  return buf[at] === 0x7e && buf[at + 1] === 0x42 && buf[at + 2] === 0x7e;
}

/**
 * The marker of the next payload line after the one whose marker is at `at` (only lines ending at or
 * before `last`), LAST_LINE or NONE. Lines from senders whose nicks have one length share a layout, so the
 * next marker is at `at + tail + 1 + head` when the byte at `at + tail` is a newline: three byte compares
 * instead of a search. When the guess fails the layout is learned again from this line and a search is
 * the fallback, so a guess is never needed to find a line. A stale `tail` lands inside the line (an id
 * grown by a digit: no newline there) or, were lines to get shorter, on the end of a line no longer than
 * the difference (bytes; the bench's lines keep their length): never past a payload line (over 64 bytes).
 */
function nextMarker(r: LineReader, buf: Buffer, at: number, last: number): number {
  guessed = true;
  for (let learned = false; ; learned = true) {
    const end = at + r.tail;
    if (r.tail > 0 && end <= last && buf[end] === 10) {
      if (end === last) return LAST_LINE;
      const next = end + 1 + r.head;
      if (next < last && isMarker(buf, next)) return next;
    }
    if (learned) break;
    r.tail = buf.indexOf(10, at) - at;
    r.head = at - (buf.lastIndexOf(10, at) + 1);
  }
  guessed = false;
  const next = buf.indexOf(MARKER, at + PAYLOAD_FIELDS_BYTES);
  return next >= 0 && next < last ? next : NONE;
}
