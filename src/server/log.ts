import fs from 'node:fs';
import { LOG_FLUSH_BYTES, LOG_FLUSH_MS } from '../wire/limits.js';
import type { LogFields } from './hub.js';

// server.log: one event per line, `TIMESTAMP EVENT key=value ...` (logfmt; values with spaces or quotes are
// JSON strings). Lines wait in memory for at most LOG_FLUSH_MS (or LOG_FLUSH_BYTES) and are written by one
// writer, so order is kept and a busy room costs a few write() calls a second, not one per message; fatal
// paths and shutdown call flushSync() before exiting.

/** A value that needs no quoting: no white space, quote, `=` or backslash. */
const BARE = /^[^\s"=\\]+$/;

function formatFields(event: string, fields: LogFields): string {
  let line = ` ${event}`;
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    const s = typeof value === 'string' ? value : String(value);
    line += ` ${key}=${BARE.test(s) ? s : JSON.stringify(s)}`;
  }
  return line + '\n';
}

export function formatLogLine(time: Date, event: string, fields: LogFields): string {
  return time.toISOString() + formatFields(event, fields);
}

export class EventLog {
  private fd: number | null;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The last timestamp written and its text: lines of the same millisecond share it. */
  private lastMs = NaN;
  private lastIso = '';

  /** `path` null logs nowhere (tests that do not care). Throws if the file cannot be opened. */
  constructor(
    readonly path: string | null,
    private readonly clock: () => number = Date.now,
  ) {
    this.fd = path === null ? null : fs.openSync(path, 'a');
  }

  write = (event: string, fields: LogFields): void => {
    if (this.fd === null) return;
    const ms = this.clock();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    const line = this.lastIso + formatFields(event, fields);
    this.pending.push(line);
    // Bytes as written (UTF-8), not UTF-16 units: a line of CJK text is three times its length.
    this.pendingBytes += Buffer.byteLength(line);
    if (this.pendingBytes >= LOG_FLUSH_BYTES) this.flushSync();
    else if (this.timer === null) {
      // Unreferenced: a pending flush must not keep a finished process alive (close() writes the rest).
      this.timer = setTimeout(() => this.flushSync(), LOG_FLUSH_MS);
      this.timer.unref();
    }
  };

  flushSync(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.fd === null || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      fs.writeSync(this.fd, text);
    } catch {
      // A full disk must not take the chat down; the events are lost, the room goes on.
    }
  }

  close(): void {
    this.flushSync();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
