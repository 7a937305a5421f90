import fs from 'node:fs';
import path from 'node:path';
import { sanitizeText } from '../../wire/sanitize.js';

// Conversations on the user's disk: LOGS/SERVER/ROOM.log, one line per event, `ISO-time text`, as irssi's
// and WeeChat's logs are read with grep and less. The lines logged in one turn of the event loop go to the
// kernel together, one write(2) per file opened O_APPEND, as that turn ends (a microtask): before anything
// is drawn, so a crash or kill -9 of the client loses no line it showed (a busy room's data arrives a few
// dozen lines a turn: a write per line was a tenth of the client's CPU at 1,000 lines a second), and two
// clients appending to the same file never interleave within a line. Text is sanitised again here:
// `cat` of a log must not let a remote byte drive the reader's terminal.

/** Files kept open at once; past this the least recently written is closed (one per room and peer). */
export const MAX_OPEN_LOGS = 32;

/** One logged event: which conversation, when, and its words as line mode shows them. */
export interface LogEntry {
  /** ms since the epoch. */
  time: number;
  /** `#general` for a room, a person's name for the whisper conversation with them. */
  conversation: string;
  text: string;
}

/**
 * A file name from a server label or a conversation: the characters of names and rooms stay, anything else
 * (`/`, NUL, controls, spaces) becomes `%XX`, and names that mean something to the file system (`.`,
 * `..`, a leading `-` or `.`) are escaped too, so no remote name can reach outside the logs directory.
 */
export function logFileName(label: string): string {
  const safe = Array.from(label, (ch) => (/^[A-Za-z0-9_#@+=,.:-]$/.test(ch) ? ch : encode(ch))).join('');
  return safe.replace(/^[.-]/, (c) => encode(c)) || '%00';
}

function encode(ch: string): string {
  return Array.from(Buffer.from(ch, 'utf8'), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** The log line for an entry, without its newline: ISO date-time (UTC), a space, the sanitised text. */
export function logLine(e: LogEntry): string {
  return `${new Date(e.time).toISOString()} ${sanitizeText(e.text)}`;
}

export class ChatLog {
  private readonly open = new Map<string, number>();
  /** Lines logged this turn and not written yet, per file (each file is open). */
  private readonly pending = new Map<string, string>();
  private flushQueued = false;
  private failed = false;

  /**
   * @param dir  the logs root (XDG data dir's `parley/logs`, or config `log.dir`)
   * @param server  the server's label: its [servers] name, else `host:port`
   * @param onError  called once, with a one-line reason, when a write fails; logging then stops
   */
  constructor(
    readonly dir: string,
    readonly server: string,
    private readonly onError: (line: string) => void = () => {},
  ) {}

  /** The directory this server's logs go to. */
  get serverDir(): string {
    return path.join(this.dir, logFileName(this.server));
  }

  /** The file a conversation is logged to. */
  fileFor(conversation: string): string {
    // Names and rooms are unique ignoring case, so their conversations share one file whatever the case.
    return path.join(this.serverDir, logFileName(conversation.toLowerCase()) + '.log');
  }

  /** fileFor of the conversations written lately: a busy room logs hundreds of lines a second to one file. */
  private readonly files = new Map<string, string>();

  private cachedFileFor(conversation: string): string {
    let file = this.files.get(conversation);
    if (file === undefined) {
      if (this.files.size >= MAX_OPEN_LOGS) this.files.clear();
      file = this.fileFor(conversation);
      this.files.set(conversation, file);
    }
    return file;
  }

  /**
   * Append one entry. It reaches the file when this turn of the event loop ends (or at flush()): once the
   * code that logged it has run to its end, the line survives the process dying.
   */
  write(e: LogEntry): void {
    if (this.failed) return;
    const file = this.cachedFileFor(e.conversation);
    try {
      let fd = this.open.get(file);
      if (fd === undefined) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fd = fs.openSync(file, 'a', 0o600);
        if (this.open.size >= MAX_OPEN_LOGS) this.closeOne(this.open.keys().next().value!);
        if (this.failed) {
          // Writing out the file that made room failed: logging is off, and this one is not kept either.
          fs.closeSync(fd);
          return;
        }
      } else this.open.delete(file);
      this.open.set(file, fd); // re-inserted: Map order is least recently written first
    } catch (err) {
      this.fail(file, err);
      return;
    }
    this.pending.set(file, (this.pending.get(file) ?? '') + logLine(e) + '\n');
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Write every line logged so far: one write(2) per file. */
  flush(): void {
    this.flushQueued = false;
    for (const file of [...this.pending.keys()]) if (!this.writePending(file)) return;
  }

  close(): void {
    this.flush();
    for (const file of [...this.open.keys()]) this.closeOne(file);
  }

  /** The lines waiting for `file`, written; false if that failed (logging is then off). */
  private writePending(file: string): boolean {
    const text = this.pending.get(file);
    this.pending.delete(file);
    const fd = this.open.get(file);
    if (text === undefined || fd === undefined) return true;
    try {
      // write(2) may take less than asked (a full disk takes what fits, then fails): the rest goes after it,
      // so a file never ends in half a line unless the disk refused the rest.
      const data = Buffer.from(text);
      for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at);
      return true;
    } catch (err) {
      this.fail(file, err);
      return false;
    }
  }

  private fail(file: string, err: unknown): void {
    this.failed = true;
    this.pending.clear();
    for (const f of [...this.open.keys()]) this.closeOne(f);
    this.onError(`cannot write the chat log ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); logging is off until restart`);
  }

  private closeOne(file: string): void {
    if (!this.failed && !this.writePending(file)) return;
    const fd = this.open.get(file);
    this.open.delete(file);
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed by the OS on an error: nothing left to release
      }
    }
  }
}
