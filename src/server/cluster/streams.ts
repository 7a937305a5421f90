import type { Redis } from 'ioredis';
import { STREAM_BLOCK_MS, STREAM_MAX_LEN, STREAM_READ_COUNT } from '../../wire/limits.js';

// Redis streams as the cluster's log of events a node must not miss. Publishing is XADD with approximate
// trimming; reading is XREAD BLOCK from the last id this node has handled, kept in memory: after a lost
// connection, or Redis restarting with its data (AOF), the next XREAD continues from that id, so nothing
// in between is skipped and nothing handled is read twice. (The same scheme as socket.io's Redis streams
// adapter; there is no consumer group because every node reads every entry, each at its own position.)

/** One stream entry: its id (`ms-seq`), the event it carries, and the number Redis gave it if it was sequenced. */
export interface StreamEntry<T> {
  id: string;
  event: T;
  /** Set by the SEQUENCE script (bus.ts): a number from `parley:ids`, increasing in stream order. */
  seq?: number;
}

/** The field each entry carries: the event as JSON. */
const FIELD = 'e';
/** The field of a sequenced entry: its number (SEQUENCE in bus.ts writes it). */
export const SEQ_FIELD = 'i';

/**
 * Append `event` (JSON-serialisable) to `stream`. Resolves with the entry's id once Redis has it; rejects
 * when Redis is unreachable or did not answer, in which case the entry may or may not be there.
 */
export async function publish(redis: Redis, stream: string, event: unknown, maxLen: number | null = STREAM_MAX_LEN): Promise<string> {
  const body = JSON.stringify(event);
  const id = maxLen === null ? await redis.xadd(stream, '*', FIELD, body) : await redis.xadd(stream, 'MAXLEN', '~', maxLen, '*', FIELD, body);
  if (id === null) throw new Error(`XADD to ${stream} returned no id`);
  return id;
}

/** The newest entry id of `stream` ('0-0' when it is empty or missing): where a reader that wants only new events starts. */
export async function lastId(redis: Redis, stream: string): Promise<string> {
  const rows = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
  return rows[0]?.[0] ?? '0-0';
}

/** The newest `count` entries of `stream`, oldest first (a node's start-up view of recent history). */
export async function recent<T>(redis: Redis, stream: string, count: number): Promise<StreamEntry<T>[]> {
  if (count <= 0) return [];
  const rows = (await redis.xrevrange(stream, '+', '-', 'COUNT', count)) as [string, string[]][];
  return rows.reverse().flatMap(([id, fields]) => decode<T>(id, fields));
}

/**
 * Every entry of `stream` after `after`, oldest first, read in pages of STREAM_READ_COUNT; resolves with
 * the id of the last one ('after' if none).
 */
export async function replay<T>(redis: Redis, stream: string, after: string, each: (entry: StreamEntry<T>) => void): Promise<string> {
  let last = after;
  for (;;) {
    const rows = (await redis.xrange(stream, `(${last}`, '+', 'COUNT', STREAM_READ_COUNT)) as [string, string[]][];
    for (const [id, fields] of rows) for (const e of decode<T>(id, fields)) each(e);
    if (rows.length === 0) return last;
    last = rows[rows.length - 1]![0];
  }
}

/** What a StreamReader reports besides entries. */
export interface ReaderEvents {
  /** XREAD failed (Redis away, or a timeout); the reader retries from the same ids. */
  error?: (err: Error) => void;
  /**
   * Called after an XREAD answered entries of `stream` read from `from`, before any of that answer is
   * handled, in the reader's loop (so nothing is read meanwhile). Resolving true drops this answer's entries
   * of `stream` (the owner caught up another way and moved the reader with seek). A rejection counts as a
   * failed read: nothing of the answer is handled, the read is retried from the same ids after a pause.
   */
  afterRead?: (stream: string, from: string) => Promise<boolean>;
}

/**
 * Reads several streams from given ids on its own connection (XREAD BLOCK holds a connection), and hands
 * each batch to `handle` in stream order. A handler that throws does not stop the reader (the error is
 * reported and the entry counts as handled: retrying a poisoned entry forever would stall the node).
 */
export class StreamReader<T> {
  private readonly ids = new Map<string, string>();
  private running = false;
  private loop: Promise<void> | undefined;

  /**
   * @param redis a connection for this reader alone (blocking reads would stall other commands)
   * @param from  each stream's starting id: the last entry already handled ('0-0' for all, or lastId())
   */
  constructor(
    private readonly redis: Redis,
    from: Record<string, string>,
    private readonly handle: (stream: string, entries: StreamEntry<T>[]) => void,
    private readonly events: ReaderEvents = {},
    private readonly blockMs = STREAM_BLOCK_MS,
  ) {
    for (const [stream, id] of Object.entries(from)) this.ids.set(stream, id);
  }

  /** The last id handled in `stream`. */
  position(stream: string): string | undefined {
    return this.ids.get(stream);
  }

  /** Read `stream` on from `id` (only from afterRead: a read in flight would move it back). */
  seek(stream: string, id: string): void {
    if (this.ids.has(stream)) this.ids.set(stream, id);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stop reading; resolves when the loop has ended (the pending XREAD is cut by closing the connection). */
  async stop(): Promise<void> {
    this.running = false;
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        if (this.redis.status !== 'ready') {
          await waitReady(this.redis, this.blockMs);
          continue;
        }
        const streams = [...this.ids.keys()];
        reply = (await this.redis.xread('COUNT', STREAM_READ_COUNT, 'BLOCK', this.blockMs, 'STREAMS', ...streams, ...streams.map((s) => this.ids.get(s)!))) as
          | [string, [string, string[]][]][]
          | null;
        if (reply !== null && this.events.afterRead) {
          const kept: typeof reply = [];
          for (const answer of reply) if (answer[1].length === 0 || !(await this.events.afterRead(answer[0], this.ids.get(answer[0])!))) kept.push(answer);
          reply = kept;
        }
        failures = 0;
      } catch (err) {
        if (!this.running) break;
        this.events.error?.(err as Error);
        failures++;
        await sleep(Math.min(100 * 2 ** Math.min(failures, 5), this.blockMs));
        continue;
      }
      if (reply === null) continue;
      for (const [stream, rows] of reply) {
        if (rows.length === 0) continue;
        this.ids.set(stream, rows[rows.length - 1]![0]);
        const entries = rows.flatMap(([id, fields]) => decode<T>(id, fields));
        try {
          this.handle(stream, entries);
        } catch (err) {
          this.events.error?.(err as Error);
        }
      }
    }
  }
}

/** The entry as ours: its JSON event, or nothing if it is not one (someone else wrote to the key). */
export function decode<T>(id: string, fields: string[]): StreamEntry<T>[] {
  const at = fields.indexOf(FIELD);
  if (at < 0 || at % 2 !== 0) return [];
  const seqAt = fields.indexOf(SEQ_FIELD);
  const seq = seqAt >= 0 && seqAt % 2 === 0 ? Number(fields[seqAt + 1]) : undefined;
  try {
    return [{ id, event: JSON.parse(fields[at + 1]!) as T, ...(seq !== undefined && Number.isSafeInteger(seq) && { seq }) }];
  } catch {
    return []; // skipping it is all a reader can do
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function waitReady(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}
