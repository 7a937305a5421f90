import net from 'node:net';
import { FrameDecoder } from '../../src/wire/frame.js';
import { MAX_SERVER_FRAME_BYTES } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';

/** A bare protocol client for integration tests: raw bytes out, decoded frames in, waits with deadlines. */
export class RawClient {
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];
  private decoder = new FrameDecoder(MAX_SERVER_FRAME_BYTES, MAX_SERVER_FRAME_BYTES);
  isClosed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const ev of this.decoder.push(chunk)) if (ev.kind === 'line') this.received.push(JSON.parse(ev.text) as ServerMessage);
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Connect over loopback; `from` binds the local address (any 127.0.0.x), so tests can be several sources. */
  static connect(port: number, from?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, ...(from !== undefined && { localAddress: from }) }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connect and register; resolves once welcomed. */
  static async join(port: number, name: string): Promise<RawClient> {
    const c = await RawClient.connect(port);
    c.send({ type: 'hello', name, version: 1 });
    await c.next((m) => m.type === 'welcome');
    return c;
  }

  send(msg: object): void {
    this.socket.write(JSON.stringify(msg) + '\n');
  }

  raw(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** The first received frame matching `pred` not yet taken by next(); waits up to `ms`. */
  async next(pred: (m: ServerMessage) => boolean = () => true, ms = 3000): Promise<ServerMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (this.isClosed) throw new Error(`connection closed while waiting; have ${this.summary()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; have ${this.summary()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits like next(), but leaves the frame in `received`. */
  async seen(pred: (m: ServerMessage) => boolean, ms = 3000): Promise<ServerMessage> {
    const m = await this.next(pred, ms);
    this.received.push(m);
    return m;
  }

  /** Everything of `type` received so far (without taking it). */
  all<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.received.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }

  /** What is waiting, briefly: a failure message must stay readable. */
  private summary(): string {
    const shown = this.received.slice(-5).map((m) => JSON.stringify(m).slice(0, 120));
    return `${this.received.length} frames, last: ${shown.join(' ')}`;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
