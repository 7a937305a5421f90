import net from 'node:net';

// A bare client of the parley protocol for the conformance checker. It knows the wire and nothing else: it
// imports no parley module, so another implementation can be checked with it, and a change to parley's own
// code cannot make a check pass by agreeing with itself.

/** A decoded frame from the server: any JSON object (the checker asserts on its fields). */
export type Frame = Record<string, unknown> & { type?: unknown };

/** How long one expected answer may take before a check fails (generous: CI machines are busy). */
export const ANSWER_MS = 5000;

export class Peer {
  /** Every frame received so far, in order; `take` consumes from the front. */
  private readonly inbox: Frame[] = [];
  /** Raw text received, for checks of answers that are not frames (HTTP, IRC). */
  raw = '';
  private pending = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.raw += chunk.toString('utf8');
      this.pending = Buffer.concat([this.pending, chunk]);
      let nl: number;
      while ((nl = this.pending.indexOf(0x0a)) !== -1) {
        const line = this.pending.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        this.pending = this.pending.subarray(nl + 1);
        if (line.trim() === '') continue;
        try {
          const value: unknown = JSON.parse(line);
          if (typeof value === 'object' && value !== null && !Array.isArray(value)) this.inbox.push(value as Frame);
          else this.inbox.push({ type: '<not an object>', line });
        } catch {
          this.inbox.push({ type: '<not JSON>', line: line.slice(0, 200) });
        }
      }
      this.wake();
    });
    socket.on('error', () => {});
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(host: string, port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new Peer(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Send one frame: a JSON object, newline-terminated. */
  send(frame: object): void {
    this.write(JSON.stringify(frame) + '\n');
  }

  /** Send raw bytes or text exactly as given. */
  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The frames received and not yet taken. */
  get unread(): readonly Frame[] {
    return this.inbox;
  }

  /** Remove and return the first frame matching `match`, waiting up to `ms`; throws with what did arrive. */
  async take(match: (f: Frame) => boolean = () => true, what = 'a frame', ms = ANSWER_MS): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i !== -1) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(`expected ${what}; ${this.closed ? 'the connection closed' : `nothing in ${ms} ms`}; got ${describe(this.inbox)}`);
      }
      await this.wait(left);
    }
  }

  /** Forget the unread frames matching `match`. */
  drop(match: (f: Frame) => boolean): void {
    for (let i = this.inbox.length - 1; i >= 0; i--) if (match(this.inbox[i]!)) this.inbox.splice(i, 1);
  }

  /** The next live frame: the first unread one that is not replayed history or a stored whisper. */
  next(what = 'a frame', ms = ANSWER_MS): Promise<Frame> {
    return this.take((f) => f.history !== true && f.late !== true, what, ms);
  }

  /** Wait until the server closes the connection; throws if it is still open after `ms`. */
  async closes(ms = ANSWER_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected the server to close the connection within ${ms} ms; it is still open (got ${describe(this.inbox)})`);
      await this.wait(left);
    }
  }

  /** Let `ms` pass while collecting what arrives. */
  async idle(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  close(): void {
    this.socket.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.waiters = self.waiters.filter((w) => w !== done);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** A short account of frames for a failure message. */
export function describe(frames: readonly Frame[]): string {
  if (frames.length === 0) return 'nothing';
  const shown = frames.slice(0, 6).map((f) => {
    const s = JSON.stringify(f);
    return s.length > 160 ? `${s.slice(0, 157)}...` : s;
  });
  return shown.join(', ') + (frames.length > 6 ? `, and ${frames.length - 6} more` : '');
}
