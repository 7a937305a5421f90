import { isUtf8 } from 'node:buffer';
import { MAX_DISCARD_BYTES, MAX_FRAME_BYTES } from './limits.js';

// Newline-delimited frames. Bytes are split on 0x0A before any decoding, so a multi-byte character split
// across TCP chunks is reassembled whole, and invalid UTF-8 is reported instead of silently becoming U+FFFD.

export type FrameEvent =
  | { kind: 'line'; text: string }
  /** The line was dropped; the connection can go on. */
  | { kind: 'error'; code: 'frame_too_large' }
  /** `line`: the bytes that are not UTF-8 (the IRC gateway names the command in its FAIL). */
  | { kind: 'error'; code: 'invalid_utf8'; line: Buffer }
  /** More than `maxDiscard` bytes arrived with no newline: the peer is not speaking this protocol. */
  | { kind: 'overflow' };

const NL = 0x0a;
const EMPTY = Buffer.alloc(0);
const CR = 0x0d;

export class FrameDecoder {
  /** The pieces of a line still open (no newline yet); null when none is (a connection at rest holds no array). */
  private parts: Buffer[] | null = null;
  private size = 0;
  /** Bytes skipped of an over-long line; -1 while not skipping. */
  private discarded = -1;
  private closed = false;
  /** Blank lines skipped so far: not frames, but a server still pays for reading them (its frame budget). */
  blankLines = 0;

  constructor(
    private readonly maxFrame = MAX_FRAME_BYTES,
    private readonly maxDiscard = MAX_DISCARD_BYTES,
  ) {}

  /** Feed bytes; returns the frames and errors they complete, in order. After `overflow`, returns nothing. */
  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    let start = 0;
    while (!this.closed && start <= chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk, start, end, out);
      if (nl === -1) break;
      this.endLine(out);
      start = nl + 1;
    }
    return out;
  }

  /** Bytes held waiting for a newline (for tests and memory accounting). */
  get buffered(): number {
    return this.size;
  }

  private take(chunk: Buffer, start: number, end: number, out: FrameEvent[]): void {
    const len = end - start;
    if (len === 0) return;
    if (this.discarded >= 0) {
      this.discarded += len;
    } else if (this.size + len > this.maxFrame + 1 || (this.size + len === this.maxFrame + 1 && chunk[end - 1] !== CR)) {
      // One byte over is allowed while the line is open if it is a `\r`: the `\r` of `\r\n` does not count.
      this.discarded = this.size + len;
      this.parts = null;
      this.size = 0;
      out.push({ kind: 'error', code: 'frame_too_large' });
    } else {
      (this.parts ??= []).push(chunk.subarray(start, end));
      this.size += len;
      return;
    }
    if (this.discarded > this.maxDiscard) {
      this.closed = true;
      out.push({ kind: 'overflow' });
    }
  }

  private endLine(out: FrameEvent[]): void {
    if (this.closed) return;
    if (this.discarded >= 0) {
      this.discarded = -1;
      return;
    }
    const parts = this.parts;
    let line = parts === null ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.size);
    this.parts = null;
    this.size = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxFrame) {
      out.push({ kind: 'error', code: 'frame_too_large' });
      return;
    }
    if (isBlank(line)) {
      this.blankLines++; // a blank line (Enter in nc, or spaces before it) is not a frame
      return;
    }
    if (!isUtf8(line)) {
      out.push({ kind: 'error', code: 'invalid_utf8', line });
      return;
    }
    out.push({ kind: 'line', text: line.toString('utf8') });
  }
}

/** Only spaces, tabs and carriage returns (or nothing): JSON's white space without the newline. */
function isBlank(line: Buffer): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}

/** JSON of frozen name lists (a room's members as Room.names hands them out), by identity, in pieces. */
const listJson = new WeakMap<readonly string[], readonly Buffer[]>();

/**
 * `json`, put together, is the JSON of the frozen `list` (its owner keeps it in pieces that it updates more
 * cheaply than encoding the whole list: server/namelist.ts): frames that carry `list` as `users` copy them.
 */
export function shareListJson(list: readonly string[], json: readonly Buffer[]): void {
  listJson.set(list, json);
}

const USERS_CLOSE = Buffer.from('}\n');

/**
 * One frame on the wire: JSON and a newline. Encode once, write the same Buffer to every recipient. A
 * frozen `users` list (a room's members, shared until they change) is JSON-encoded once however many frames
 * carry it, and each frame copies its bytes: each joiner's room frame (and a version-1 welcome) lists the
 * whole room. It then comes last in the object.
 */
export function encodeFrame(message: object): Buffer {
  const m = message as { users?: unknown; names?: unknown };
  // A grouped notice's `names` (server/room.ts) is shared the same way; it is its last key already.
  const key = Array.isArray(m.users) && Object.isFrozen(m.users) ? 'users' : Array.isArray(m.names) && Object.isFrozen(m.names) ? 'names' : undefined;
  if (key === undefined) return Buffer.from(JSON.stringify(message) + '\n', 'utf8');
  const list = m[key] as readonly string[];
  let json = listJson.get(list);
  if (json === undefined) listJson.set(list, (json = [Buffer.from(JSON.stringify(list), 'utf8')]));
  const { [key]: _list, ...rest } = message as Record<string, unknown>;
  const head = JSON.stringify(rest);
  return Buffer.concat([Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"${key}":`, 'utf8'), ...json, USERS_CLOSE]);
}

/**
 * A TLS ClientHello starts with record type 0x16 and version 0x03 0x0N. A parley frame starts with `{`, so
 * the first bytes tell a client that dialled the wrong port apart from one of ours.
 */
export function looksLikeTls(firstChunk: Buffer): boolean {
  return firstChunk.length >= 3 && firstChunk[0] === 0x16 && firstChunk[1] === 0x03 && firstChunk[2]! <= 0x04;
}

/** Protocols a client that dialled the wrong port may be speaking, told apart by their first line. */
export type ForeignProtocol = 'http' | 'ssh' | 'irc';

/**
 * Which other protocol a connection's first line is in, or null for anything that may be parley. A parley
 * frame is a JSON object, so it starts with `{` (after white space); these never do:
 * an HTTP request line (RFC 9112 §3: `METHOD SP target SP HTTP/x.y`), an SSH identification string
 * (RFC 4253 §4.2: `SSH-protoversion-…`), and the commands an IRC client opens with (RFC 2812 §3.1, IRCv3 CAP).
 */
export function foreignProtocol(firstLine: string): ForeignProtocol | null {
  if (/^[A-Z]{3,10} \S+ HTTP\/\d(\.\d)?$/.test(firstLine)) return 'http';
  if (/^SSH-\d\.\d+-/.test(firstLine)) return 'ssh';
  if (/^(CAP LS|CAP REQ|NICK |USER |PASS )/.test(firstLine)) return 'irc';
  return null;
}
