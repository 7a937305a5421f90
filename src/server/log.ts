import fs from 'node:fs';
import { LOG_FLUSH_BYTES, LOG_FLUSH_MS } from '../wire/limits.js';
import type { LogFields } from './hub.js';
import { LineBuffer } from './line-buffer.js';

// server.log: one event per line, `TIMESTAMP EVENT key=value ...` (logfmt; values with spaces or quotes are
// JSON strings). Lines wait in memory for at most LOG_FLUSH_MS (or LOG_FLUSH_BYTES) in a LineBuffer and are
// written by one writer, so order is kept and a busy room costs a few write() calls a second, not one per
// message; fatal paths and shutdown call flushSync() before exiting.

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
  return line;
}

/** One line of server.log, newline included: `2026-01-02T03:04:05.006Z join conn=3 name=bob\n`. */
export function formatLogLine(time: Date, event: string, fields: LogFields): string {
  return time.toISOString() + formatFields(event, fields) + '\n';
}

export class EventLog {
  private fd: number | null;
  private readonly buffer = new LineBuffer((text) => this.writeOut(text), LOG_FLUSH_MS, LOG_FLUSH_BYTES);
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
    this.buffer.add(this.lastIso + formatFields(event, fields));
  };

  flushSync(): void {
    this.buffer.flush();
  }

  private writeOut(text: string): void {
    if (this.fd === null) return;
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
