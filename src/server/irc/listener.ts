import net from 'node:net';
import tls from 'node:tls';
import { isLoopbackAddress } from '../../wire/address.js';
import { FrameDecoder } from '../../wire/frame.js';
import { CLOSE_GRACE_MS, IRC_LINE_BYTES, IRC_MAX_QUEUED_LINES, IRC_TAG_BYTES, LISTEN_BACKLOG, MAX_DISCARD_BYTES, MAX_SEND_QUEUE_BYTES, RATE_BURST, RATE_PER_SECOND, TLS_HANDSHAKE_TIMEOUT_MS } from '../../wire/limits.js';
import type { ClientMessage, LeaveReason } from '../../wire/messages.js';
import type { Codec } from '../events.js';
import { TokenBucket } from '../../wire/ratelimit.js';
import { parseLine, type IrcMessage } from './codec.js';
import { IrcPeople } from './people.js';
import { IrcSession, type SessionOptions } from './session.js';

// The IRC port's socket shell: bytes in, lines to an IrcSession, its lines back out. Like the parley port
// it caps a line's bytes, caps what a client has not read (MAX_SEND_QUEUE_BYTES) and limits the rate of
// requests (RATE_BURST, RATE_PER_SECOND) — except that IRC clients expect to be slowed, not refused, so
// lines over the rate wait their turn ("fake lag") and only IRC_MAX_QUEUED_LINES of them may wait.

/** A connection's side of the chat core, as the gateway sees it. */
export interface CoreConnection {
  /** How the core's events become this connection's IRC lines. */
  codec: Codec;
  /** Bytes the core sends this connection (lines its codec made). */
  send(bytes: Buffer): void;
  /** The core ended this connection (after its last events). */
  close(): void;
  /** Put this client in the default room at login, as parley's clients are (IrcListenerOptions.defaultRoom). */
  defaultRoom: boolean;
}

/** What the gateway needs from the chat core; the server supplies it. */
export interface CoreLink {
  /** A new connection from ip:port. Returns its id, or undefined when the core refused it (after telling `conn` why). */
  open(ip: string, port: number, conn: CoreConnection): number | undefined;
  /**
   * A request on behalf of connection `id`. `paced`: it is the first request of a line the gateway's own
   * bucket let through, so the core must not refuse it for rate (IRC clients are slowed, never lose
   * lines); a line's further requests (its other targets) are not paced and the core charges them.
   */
  request(id: number, msg: ClientMessage, paced: boolean): void;
  /** The connection was heard from (keepalive) without a request for the core. */
  heard(id: number): void;
  /** The connection is gone or must go. */
  gone(id: number, reason: LeaveReason, why?: string): void;
}

export interface IrcListenerOptions extends Omit<SessionOptions, 'refPrefix'> {
  host: string;
  port: number;
  /** Requests per second a connection may make (0: no flood control, for benchmarks and conformance runs). */
  ratePerSecond?: number;
  rateBurst?: number;
  maxSendQueueBytes?: number;
  log?: (event: string, fields: Record<string, string | number | boolean | undefined>) => void;
  /**
   * Speak TLS on this port (the 6697 kind, RFC 7194): every connection is a TLS server socket with the
   * context this returns when it arrives, so a certificate reload (SIGHUP) applies to new connections.
   */
  secureContext?: () => tls.SecureContext;
  /**
   * A plaintext port's policy, as the parley port's: `loopback` refuses clients from other machines (their
   * passwords would cross the network in the clear) with an ERROR naming `tlsPort`; `never` refuses all.
   * Default `any`.
   */
  plaintext?: 'loopback' | 'any' | 'never';
  /** The TLS port to name in a plaintext refusal. */
  tlsPort?: number;
  /** Runs before queued bytes go to a socket (the store commits the history of what is about to be seen). */
  beforeFlush?: () => void;
  /**
   * Put IRC clients in the default room at login, as parley's clients are (default true). False
   * (`--irc-no-default-room`): they join channels themselves, as on any IRC network, and nothing arrives
   * from a channel they did not ask for.
   */
  defaultRoom?: boolean;
}

export interface IrcListener {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

interface Conn {
  socket: net.Socket;
  session: IrcSession;
  id: number | undefined;
  out: Buffer[];
  queued: number;
  dead: boolean;
  waiting: IrcMessage[];
  bucket: TokenBucket;
  timer: NodeJS.Timeout | undefined;
}

let listeners = 0;

/** Listen for IRC clients and attach each to the core through `core`. */
export function startIrcListener(core: CoreLink, options: IrcListenerOptions): Promise<IrcListener> {
  const maxQueue = options.maxSendQueueBytes ?? MAX_SEND_QUEUE_BYTES;
  const rate = options.ratePerSecond ?? RATE_PER_SECOND;
  const burst = options.rateBurst ?? RATE_BURST;
  const log = options.log ?? (() => {});
  const conns = new Set<Conn>();
  const people = options.people ?? new IrcPeople();
  const instance = ++listeners;
  let sessions = 0;

  const flush = (c: Conn): void => {
    if (c.out.length === 0) return;
    options.beforeFlush?.();
    const data = c.out.length === 1 ? c.out[0]! : Buffer.concat(c.out, c.queued);
    c.out = [];
    c.queued = 0;
    c.socket.write(data);
  };

  /** Queue bytes for the client; past the send-queue cap the client is dropped, as on the parley port. */
  const enqueue = (c: Conn, bytes: Buffer): void => {
    if (c.dead) return;
    if (c.queued + bytes.length + c.socket.writableLength > maxQueue) return drop(c, 'send queue exceeded');
    if (c.out.length === 0) setImmediate(() => flush(c));
    c.out.push(bytes);
    c.queued += bytes.length;
  };

  const drop = (c: Conn, why: string): void => {
    if (c.dead) return;
    c.dead = true;
    c.out = [];
    if (c.timer) clearTimeout(c.timer);
    if (c.id !== undefined) queueMicrotask(() => core.gone(c.id!, 'kicked', why));
    c.socket.destroy();
  };

  /** Run the lines that waited behind the flood limit, as the bucket allows. */
  const pump = (c: Conn): void => {
    c.timer = undefined;
    while (c.waiting.length > 0 && !c.dead) {
      if (rate > 0 && !c.bucket.take(Date.now())) {
        c.timer = setTimeout(() => pump(c), Math.ceil(1000 / rate));
        return;
      }
      run(c, c.waiting.shift()!);
    }
  };

  const run = (c: Conn, m: IrcMessage): void => {
    let asked = 0;
    current = () => asked++ === 0;
    c.session.line(m);
    current = undefined;
    if (asked === 0 && c.id !== undefined && !c.dead) core.heard(c.id);
  };
  /** While a line runs: counts a request it makes, true for its first. */
  let current: (() => boolean) | undefined;

  const server = net.createServer((raw) => {
    const ip = raw.remoteAddress ?? 'unknown';
    const remotePort = raw.remotePort ?? 0;
    raw.setNoDelay(true);
    const policy = options.secureContext ? 'any' : (options.plaintext ?? 'any');
    if (policy === 'never' || (policy === 'loopback' && !isLoopbackAddress(ip))) {
      const where = options.tlsPort !== undefined ? ` on port ${options.tlsPort}` : '';
      log('refused', { irc: true, ip, why: 'plaintext refused' });
      raw.on('error', () => {});
      raw.end(`ERROR :Closing Link: ${options.serverName} (this server accepts plaintext IRC only from its own machine; connect with TLS${where})\r\n`);
      return;
    }
    let socket: net.Socket = raw;
    if (options.secureContext) {
      // Everything the gateway writes before the handshake is over waits inside the TLS socket.
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: options.secureContext() });
      raw.on('error', () => {}); // the TLS socket reports it too, and closes
      const handshake = setTimeout(() => secure.destroy(), TLS_HANDSHAKE_TIMEOUT_MS);
      handshake.unref();
      secure.once('secure', () => clearTimeout(handshake));
      secure.once('close', () => clearTimeout(handshake));
      socket = secure;
    }
    const c: Conn = {
      socket,
      id: undefined,
      out: [],
      queued: 0,
      dead: false,
      waiting: [],
      bucket: new TokenBucket(burst, rate, Date.now()),
      timer: undefined,
      session: undefined as unknown as IrcSession, // set just below; the port needs `c`
    };
    conns.add(c);
    c.session = new IrcSession(
      {
        request(msg) {
          // The bucket paced the line, which pays for its first request only: the others of a line with
          // several targets (JOIN #a,#b,…, PRIVMSG a,b) are charged by the core, or one line would be
          // as many requests as it names. Answers to events (no line running) were not paced either.
          const first = current?.() ?? false;
          const paced = first && rate > 0;
          if (c.id !== undefined && !c.dead) core.request(c.id, msg, paced);
        },
        write: (line) => enqueue(c, Buffer.from(line, 'utf8')),
        close() {
          if (c.dead) return;
          c.dead = true;
          if (c.timer) clearTimeout(c.timer);
          flush(c);
          socket.pause();
          socket.end();
          setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
        },
      },
      { ...options, people, refPrefix: `irc${instance}.${++sessions}` },
    );
    socket.on('error', (err) => log('socket_error', { irc: true, error: err.message }));
    socket.on('close', () => {
      conns.delete(c);
      if (c.timer) clearTimeout(c.timer);
      // A client that said QUIT and hung up at once leaves with its reason, even if the QUIT was still
      // waiting behind the flood limit; the rest of what waited is dropped with the connection.
      const quit = c.waiting.find((m) => m.command === 'QUIT');
      if (quit && !c.dead && c.id !== undefined) run(c, quit);
      c.dead = true;
      c.session.finish(); // nothing more is written; the session lets go of its nick
      if (c.id !== undefined) core.gone(c.id, 'lost');
    });
    // Each IRC connection is its own codec: its lines depend on its nick and the capabilities it turned on.
    const codec: Codec = { name: 'irc', encode: (ev) => c.session.encode(ev) };
    c.id = core.open(ip, remotePort, { codec, send: (bytes) => enqueue(c, bytes), close: () => c.session.finish(), defaultRoom: options.defaultRoom ?? true });
    if (c.id === undefined) return;

    const decoder = new FrameDecoder(IRC_TAG_BYTES + IRC_LINE_BYTES, MAX_DISCARD_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) {
        if (c.dead) return;
        if (ev.kind === 'overflow') return drop(c, 'line too long');
        if (ev.kind === 'error' && ev.code === 'frame_too_large') {
          c.session.tooLong();
          continue;
        }
        // Not UTF-8 (the gateway says UTF8ONLY): refused with FAIL naming the command, except USER, whose
        // real name parley never passes on (clients from before UTF-8 send it in Latin-1).
        const lossy = ev.kind === 'error' ? parseLine(ev.line.toString('utf8')) : undefined;
        if (lossy !== undefined && (!lossy.ok || lossy.message.command !== 'USER')) {
          c.session.notUtf8(lossy.ok ? lossy.message.command : '*');
          continue;
        }
        const parsed = lossy ?? parseLine((ev as { text: string }).text);
        if (!parsed.ok) {
          if (parsed.reason === 'too_long') c.session.tooLong();
          continue;
        }
        if (c.waiting.length >= IRC_MAX_QUEUED_LINES) return drop(c, 'Excess Flood');
        c.waiting.push(parsed.message);
      }
      if (c.timer === undefined) pump(c);
    });
  });
  server.maxConnections = 100_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        host: address.address,
        close() {
          return new Promise((done) => {
            server.close(() => done());
            for (const c of conns) {
              flush(c);
              c.socket.end();
              setTimeout(() => c.socket.destroy(), CLOSE_GRACE_MS).unref();
            }
          });
        },
      });
    });
  });
}
