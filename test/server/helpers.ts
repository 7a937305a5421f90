import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { Accounts, type AuthMode } from '../../src/server/accounts.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/host.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { SocketWaits } from '../helpers/socket-waits.js';
import { tempDir } from '../helpers/tmp.js';

// Shared by the server tests: a temporary database file, a server on port 0 over it, and a raw wire client
// that speaks JSON lines so tests assert exactly what the wire carries.

/** scrypt cost for tests: the real code path, 128x cheaper than the default. */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

export function tempDb(): string {
  const dir = tempDir('parley-test-');
  return path.join(dir, 'parley.db');
}

export interface TestServer {
  server: RunningServer;
  store: Store;
  port: number;
  /** Stop the server and close the database (the file stays for a restart). */
  stop(): Promise<void>;
}

export async function startTestServer(
  db: string,
  o: { mode?: AuthMode; blockDurationS?: number; historySize?: number; idleTimeoutMs?: number; tickMs?: number } & Partial<ServerOptions> = {},
): Promise<TestServer> {
  const store = new Store(db);
  const mode = o.mode ?? 'optional';
  const accounts = mode === 'off' ? undefined : new Accounts(store, new PasswordHasher(FAST_SCRYPT), { mode, blockDurationS: o.blockDurationS ?? 60 });
  const server = await startServer({ port: 0, ratePerSecond: 0, ...o, store, ...(accounts && { accounts }) });
  return {
    server,
    store,
    port: server.port,
    async stop() {
      await server.close();
      store.close();
    },
  };
}

/** Add an account straight into the store (as `parley-server user add` does). */
export async function addUser(store: Store, name: string, password: string): Promise<void> {
  store.addUser(name.toLowerCase(), name, await new PasswordHasher(FAST_SCRYPT).hash(password), Date.now());
}

export class Wire extends SocketWaits {
  readonly frames: ServerMessage[] = [];
  private buffer = '';
  private constructor(socket: net.Socket) {
    super(socket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) !== -1) {
        this.frames.push(JSON.parse(this.buffer.slice(0, nl)) as ServerMessage);
        this.buffer = this.buffer.slice(nl + 1);
      }
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new Wire(s)));
      s.once('error', reject);
    });
  }

  /** A TLS connection that accepts any certificate (the server tests check the server, not the client's trust). */
  static tls(port: number, host = '127.0.0.1', session?: Buffer): Promise<Wire & { socket: tls.TLSSocket }> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host, port, rejectUnauthorized: false, ...(session && { session }) }, () => resolve(new Wire(s) as Wire & { socket: tls.TLSSocket }));
      s.once('error', reject);
    });
  }

  /** Connect and say hello; resolves with the wire once the welcome (or a hello error) arrived. */
  static async hello(port: number, name: string, extra: { password?: string; token?: string; version?: number } = {}): Promise<Wire> {
    const w = await Wire.connect(port);
    w.send({ type: 'hello', name, version: 1, ref: 'hello', ...extra });
    await w.seen((f) => f.type === 'welcome' || (f.type === 'error' && f.ref === 'hello'));
    return w;
  }

  send(obj: object): void {
    this.socket.write(JSON.stringify(obj) + '\n');
  }

  /** The first frame (seen so far or arriving) matching `pred`; each frame is returned at most once. */
  async next<T extends ServerMessage = ServerMessage>(pred: (f: ServerMessage) => boolean, timeoutMs = 5000): Promise<T> {
    await this.seen(pred, timeoutMs);
    return this.frames.splice(this.frames.findIndex(pred), 1)[0] as T;
  }

  /** Wait until a frame matching `pred` has arrived, leaving it in `frames`. */
  async seen(pred: (f: ServerMessage) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.frames.some(pred)) return;
      if (this.closed) throw new Error(`connection closed before a matching frame; got ${JSON.stringify(this.frames)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames)}`);
      await this.wait(left);
    }
  }

  /** Round trip: everything the server sent before answering this ping has arrived. */
  async sync(): Promise<void> {
    const token = `sync-${Math.random()}`;
    this.send({ type: 'ping', token });
    await this.next((f) => f.type === 'pong' && f.token === token);
  }
}
