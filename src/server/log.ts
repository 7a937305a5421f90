import fs from 'node:fs';
import type { LogFields } from './hub.js';

// server.log: one event per line, `TIMESTAMP EVENT key=value ...` (logfmt; values with spaces or quotes are
// JSON strings). Lines are buffered and written once per tick by one writer, so order is kept and a busy
// room costs one write() per tick, not one per message; fatal paths call flushSync() before exiting.

export function formatLogLine(time: Date, event: string, fields: LogFields): string {
  let line = `${time.toISOString()} ${event}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const s = String(value);
    line += ` ${key}=${/^[^\s"=\\]+$/.test(s) ? s : JSON.stringify(s)}`;
  }
  return line + '\n';
}

export class EventLog {
  private fd: number | null;
  private pending: string[] = [];
  private scheduled = false;

  /** `path` null logs nowhere (tests that do not care). Throws if the file cannot be opened. */
  constructor(
    readonly path: string | null,
    private readonly clock: () => number = Date.now,
  ) {
    this.fd = path === null ? null : fs.openSync(path, 'a');
  }

  write = (event: string, fields: LogFields): void => {
    if (this.fd === null) return;
    this.pending.push(formatLogLine(new Date(this.clock()), event, fields));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushSync());
    }
  };

  flushSync(): void {
    this.scheduled = false;
    if (this.fd === null || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
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
