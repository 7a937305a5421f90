import net from 'node:net';
import tls from 'node:tls';
import { isLoopbackAddress } from '../wire/address.js';
import { FrameDecoder, encodeFrame, foreignProtocol, looksLikeTls, type ForeignProtocol, type FrameEvent } from '../wire/frame.js';
import {
  CLOSE_GRACE_MS,
  MAX_FLUSH_DELAY_MS,
  MAX_FRAMES_PER_TURN,
  DEFAULT_HOST,
  DEFAULT_PORT,
  LISTEN_BACKLOG,
  MAX_SEND_QUEUE_BYTES,
  SEND_QUEUE_HIGH_WATER_BYTES,
  SEND_QUEUE_LOW_WATER_BYTES,
  SERVER_TICK_MS,
  SHUTDOWN_GRACE_MS,
  SLOW_RECEIVER_MS,
  TLS_HANDSHAKE_TIMEOUT_MS,
  TLS_WRITE_MAX_BYTES,
} from '../wire/limits.js';
import type { ServerMessage } from '../wire/messages.js';
import { DEFAULT_BUDGET, FrameBudget, type BudgetRates } from './budget.js';
import { Hub, type ConnId, type HubLog, type HubOptions, type Outbox } from './hub.js';
import { startIrcListener, type CoreConnection, type CoreLink, type IrcListener, type IrcListenerOptions } from './irc/listener.js';
import { IrcPeople } from './irc/people.js';

// The thin I/O shell around the hub: sockets in, frames to the hub, the hub's frames back out. Writes are
// queued per connection and flushed once per event-loop turn as one buffer, so a burst of broadcasts costs
// one write() per client, not one per message per client; clients that got the same frames since the last
// flush (a room's members) share one concatenated buffer.
// Backpressure: a client whose queue passes SEND_QUEUE_HIGH_WATER_BYTES makes the server stop reading the
// connections whose requests filled it (the senders) until it is down to SEND_QUEUE_LOW_WATER_BYTES; a
// client that stays above the mark for SLOW_RECEIVER_MS, or passes MAX_SEND_QUEUE_BYTES, is dropped.

export interface ServerOptions extends HubOptions {
  host?: string;
  port?: number;
  maxSendQueueBytes?: number;
  /** How long a client may stay above the send queue's high-water mark before it is dropped (SLOW_RECEIVER_MS). */
  slowReceiverMs?: number;
  /** How often the hub's timers run. */
  tickMs?: number;
  /** Called with a line for the console: where each connection comes from, and when it goes. */
  console?: (line: string) => void;
  /** Also listen for IRC clients (`--irc-port`): the gateway's address and how it names itself. */
  irc?: Partial<Omit<IrcListenerOptions, 'port'>> & { port: number };
  /** Also listen for IRC clients over TLS (`--irc-tls-port`, 6697 style), with `secureContext`; the other fields as `irc`'s. */
  ircTls?: Partial<Omit<IrcListenerOptions, 'port'>> & { port: number };

  /**
   * What one connection may make the server read (budget.ts); false for no budget. Default: DEFAULT_BUDGET,
   * or none when rate limiting is off (`ratePerSecond: 0`, `--no-rate-limit`, for benchmarks).
   */
  frameBudget?: BudgetRates | false;
  /**
   * Serve TLS on the same port: a connection whose first byte is 0x16 (a TLS handshake record, RFC 8446
   * 5.1) is wrapped in TLS with the context this returns at that moment (so a reload applies to new
   * connections). Without it, TLS bytes are answered `not_parley`.
   */
  secureContext?: () => tls.SecureContext;
  /**
   * Who may speak plaintext: `loopback` (the default with TLS: nobody on the network can read loopback),
   * `any` (behind a TLS-terminating proxy; the default without TLS), `never` (--require-tls).
   */
  plaintext?: PlaintextPolicy;
  /** How long a TLS handshake may take before the connection is closed (TLS_HANDSHAKE_TIMEOUT_MS; checked each tick). */
  tlsHandshakeTimeoutMs?: number;
}

export type PlaintextPolicy = 'loopback' | 'any' | 'never';

/** A throttled connection is told so at most this often; the pause itself is silent. */
const THROTTLE_NOTICE_EVERY_MS = 10_000;

export interface RunningServer {
  readonly hub: Hub;
  readonly port: number;
  readonly host: string;
  /** The IRC gateway, when `irc` was given. */
  readonly irc?: IrcListener;
  /** The IRC gateway's TLS port, when `ircTls` was given. */
  readonly ircTls?: IrcListener;
  /** Notify everyone, close every connection, stop listening. */
  close(reason?: string): Promise<void>;
}

interface Conn {
  id: ConnId;
  /** The stream frames go to: the TCP socket, or the TLS socket over it. */
  socket: net.Socket;
  /** Frames to write at the next flush; null when there are none (an idle connection holds no array). */
  queue: Buffer[] | null;
  queued: number;
  /** In this turn's list of connections to flush (`dirty`). */
  listed: boolean;
  /**
   * What its socket still held after our last write to it (0: the kernel took everything). Only our writes
   * grow a socket's buffer, so while this is 0 the socket holds nothing and `send` need not ask it.
   */
  buffered: number;
  /** No more writes: closing, or dropped for its queue. */
  dead: boolean;
  /** Login backlog bytes allowed above the cap; forgotten once everything written has drained. */
  allowance: number;
  seenData: boolean;
  /** A frame has been read: later lines are not checked for another protocol. */
  seenLine: boolean;
  /** A password check of this connection runs: its socket stays paused until it ends. */
  held: boolean;
  /** Clients above the high-water mark this connection's requests wait for (its socket is paused meanwhile). */
  blockers: Set<Conn> | null;
  /** Senders waiting until this client's queue is down to the low-water mark. */
  waiters: Set<Conn> | null;
  /** When its queue went above the high-water mark (0: it is not). */
  congestedSince: number;
  /** When a TLS handshake still running is given up (0: none is running); checked on the server's tick. */
  handshakeDeadline: number;
  /** Read again, unless the frame budget still holds the socket paused. */
  resumeReading(): void;
  /** What its socket's events call (the listeners below). */
  drained(): void;
  closed(): void;
  failed(err: Error): void;
  read(chunk: Buffer): void;
  first(chunk: Buffer): void;
  secured(): void;
  pump(): void;
}

// Per-connection memory is most of an idle server's (issue 15, target 4): a connection is one object whose
// behaviour lives on its class's prototype, and its sockets' listeners are these shared functions, which
// find the connection on the socket they are called on. No closure, scope or timer is made per connection.
const CONN = Symbol('parley.conn');
type OwnedSocket = net.Socket & { [CONN]?: Conn };
const owner = (socket: net.Socket): Conn => (socket as OwnedSocket)[CONN]!;
function onDrain(this: net.Socket): void {
  owner(this).drained();
}
function onClose(this: net.Socket): void {
  owner(this).closed();
}
function onError(this: net.Socket, err: Error): void {
  owner(this).failed(err);
}
function onRead(this: net.Socket, chunk: Buffer): void {
  owner(this).read(chunk);
}
function onFirstRead(this: net.Socket, chunk: Buffer): void {
  owner(this).first(chunk);
}
function onSecure(this: net.Socket): void {
  owner(this).secured();
}
const pumpLater = (conn: Conn): void => conn.pump();
const destroySocket = (socket: net.Socket): void => void socket.destroy();

const NOT_PARLEY = 'this port speaks parley (newline-delimited JSON over TCP)';

/**
 * The one answer a client of another protocol gets, in words that client shows: an HTTP response for a
 * browser or curl, an IRC ERROR for an IRC client, a parley error frame for the rest (an SSH client prints
 * the line it could not parse).
 */
export function foreignAnswer(protocol: ForeignProtocol | 'tls'): Buffer {
  switch (protocol) {
    case 'http': {
      const body = `${NOT_PARLEY}, not HTTP: connect with the parley client or nc\n`;
      return Buffer.from(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    case 'irc':
      return Buffer.from(`ERROR :${NOT_PARLEY}, not IRC\r\n`);
    default: {
      const notice: ServerMessage = { type: 'error', code: 'not_parley', message: `${NOT_PARLEY}, not ${protocol === 'tls' ? 'TLS' : 'SSH'}` };
      return encodeFrame(notice);
    }
  }
}


export function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const maxQueue = options.maxSendQueueBytes ?? MAX_SEND_QUEUE_BYTES;
  const highWater = Math.min(SEND_QUEUE_HIGH_WATER_BYTES, maxQueue / 4);
  const lowWater = Math.min(SEND_QUEUE_LOW_WATER_BYTES, highWater / 4);
  const slowReceiverMs = options.slowReceiverMs ?? SLOW_RECEIVER_MS;
  const conns = new Map<ConnId, Conn>();
  // Connections with frames queued since the last flush, each once (`listed`). An array, not a Set: a
  // broadcast to a room of N adds N connections a turn, and a Set cleared every flush rehashes as it regrows.
  let dirty: Conn[] = [];
  /** Clients above the high-water mark. */
  const congested = new Set<Conn>();
  /** The connection whose frame the hub is handling: what it queues for others is charged to it. */
  let current: Conn | null = null;
  let flushScheduled = false;
  let nextConn = 1;
  const log: HubLog = options.log ?? (() => {});
  const say = options.console ?? (() => {});
  const rates = options.frameBudget ?? (options.ratePerSecond === 0 ? false : DEFAULT_BUDGET);
  const handshakeTimeoutMs = options.tlsHandshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS;

  // The last concatenation of a flush: the next client with the same frames (same Buffers, same order:
  // members of one room, visited in the order they were queued) gets the same bytes without a copy.
  let lastFrames: Buffer[] | null = null;
  let lastData: Buffer | null = null;
  const write = (conn: Conn): void => {
    const frames = conn.queue;
    if (frames === null) return;
    let data: Buffer;
    if (frames.length === 1) data = frames[0]!;
    else if (lastFrames !== null && sameFrames(frames, lastFrames)) data = lastData!;
    else {
      data = Buffer.concat(frames, conn.queued);
      lastFrames = frames;
      lastData = data;
    }
    conn.queue = null;
    conn.queued = 0;
    if (data.length > TLS_WRITE_MAX_BYTES && conn.socket instanceof tls.TLSSocket) writeInRecords(conn.socket, data);
    else conn.socket.write(data);
    conn.buffered = conn.socket.writableLength;
    if (conn.buffered === 0) conn.allowance = 0; // the kernel took it all: the backlog is out
    if (conn.congestedSince !== 0) relieve(conn);
  };

  /** A client's queue went down (or it is gone): the senders waiting for it read again once it is low enough. */
  const relieve = (conn: Conn): void => {
    if (conn.congestedSince === 0) return;
    if (!conn.dead && conn.queued + conn.socket.writableLength > lowWater) return;
    conn.congestedSince = 0;
    congested.delete(conn);
    const waiters = conn.waiters;
    conn.waiters = null;
    if (waiters === null) return;
    for (const w of waiters) {
      w.blockers?.delete(conn);
      if (w.blockers?.size === 0) {
        w.blockers = null;
        w.resumeReading();
      }
    }
  };

  /** Drop a client for its queue (past the cap, or slow for too long). */
  const dropForQueue = (conn: Conn): void => {
    conn.dead = true;
    conn.queue = null;
    conn.queued = 0;
    relieve(conn);
    // Not re-entrantly: we may be inside a broadcast loop of the hub.
    queueMicrotask(() => hub.disconnect(conn.id, 'kicked', 'send queue exceeded'));
  };

  // Self-pacing flush: a flush that wrote to many sockets took a while, and the next one waits about as
  // long (at most MAX_FLUSH_DELAY_MS), so under load frames pile up and share one write() per client
  // instead of each event-loop turn paying one write per client. A light load flushes at once.
  let flushCost = 0;
  let lastFlushEnd = 0;
  const flushAll = (): void => {
    flushScheduled = false;
    // History rows of the messages about to go out are committed first (store.ts: commit).
    options.store?.commit();
    const start = performance.now();
    const list = dirty;
    dirty = [];
    for (const conn of list) {
      conn.listed = false;
      if (!conn.dead) write(conn);
    }
    lastFrames = lastData = null;
    lastFlushEnd = performance.now();
    flushCost = lastFlushEnd - start;
  };
  const scheduleFlush = (): void => {
    flushScheduled = true;
    const wait = Math.min(MAX_FLUSH_DELAY_MS, lastFlushEnd + flushCost - performance.now());
    if (wait >= 1) setTimeout(flushAll, wait);
    else setImmediate(flushAll);
  };

  const outbox: Outbox = {
    send(id, frame, backlog) {
      const conn = conns.get(id);
      if (!conn || conn.dead) return;
      // Live traffic once what is pending is back under the cap: the backlog is out, the allowance ends.
      // A room's message is sent to each member: the socket is asked what it holds only when it held some.
      const inSocket = conn.buffered === 0 ? 0 : (conn.buffered = conn.socket.writableLength);
      if (!backlog && conn.allowance > 0 && conn.queued + inSocket <= maxQueue) conn.allowance = 0;
      if (backlog) conn.allowance += frame.length;
      const pending = conn.queued + frame.length + inSocket;
      if (pending > maxQueue + conn.allowance) return dropForQueue(conn);
      (conn.queue ??= []).push(frame);
      conn.queued += frame.length;
      if (!conn.listed) {
        conn.listed = true;
        dirty.push(conn);
      }
      if (pending > highWater + conn.allowance) {
        if (conn.congestedSince === 0) {
          conn.congestedSince = Date.now();
          congested.add(conn);
        }
        // The connection whose request queued this waits (stops being read) until the client has read it.
        if (current !== null && !current.dead) {
          (conn.waiters ??= new Set()).add(current);
          (current.blockers ??= new Set()).add(conn);
        }
      }
      if (!flushScheduled) scheduleFlush();
    },
    close(id) {
      const conn = conns.get(id);
      if (!conn) return;
      if (conn.dead) {
        conn.socket.destroy(); // dropped for its queue: nothing more can be written
        return;
      }
      // As in flushAll: the history rows of what it is about to read are committed before it reads them
      // (a line said and a kick in the same turn would otherwise reach the kicked client uncommitted).
      options.store?.commit();
      write(conn);
      conn.dead = true;
      // Nothing it sends from now on is read: stop pulling bytes in (a kicked peer may still be pushing
      // a megabyte of junk), flush what we owe it, and give it a moment to read that before we cut it.
      conn.socket.pause();
      conn.socket.end();
      setTimeout(destroySocket, CLOSE_GRACE_MS, conn.socket).unref();
    },
    hold(id, holding) {
      // A password check of this connection runs: its later frames wait in the kernel's buffers (and then
      // the peer's), not in ours. Only this connection waits; a closing one is never resumed.
      const conn = conns.get(id);
      if (!conn || conn.dead) return;
      conn.held = holding;
      if (holding) conn.socket.pause();
      else conn.resumeReading();
    },
  };

  // Connections of the IRC gateway share the hub's ids and Outbox; the router hands their bytes to the gateway.
  const gateway = new Map<ConnId, CoreConnection>();
  const router: Outbox = {
    send(id, frame, backlog) {
      // No IRC connection open (or none on this server): no lookup in the gateway's table per recipient.
      const g = gateway.size === 0 ? undefined : gateway.get(id);
      if (!g) return outbox.send(id, frame, backlog);
      g.send(frame);
    },
    close(id) {
      const g = gateway.get(id);
      if (!g) return outbox.close(id);
      gateway.delete(id);
      g.close();
    },
  };

  // A server with sockets groups a busy room's join and leave notices (hub.ts: groupNotices).
  const hub = new Hub(router, { groupNotices: true, ...options });

  const core: CoreLink = {
    open(ip, port, conn) {
      const id = nextConn++;
      gateway.set(id, conn);
      say(`connect ${ip}:${port} (conn ${id}, irc)`);
      return hub.connect(id, ip, port, conn.codec, { defaultRoom: conn.defaultRoom }) ? id : undefined;
    },
    request: (id, msg, paced) => hub.handle(id, msg, paced),
    heard: (id) => hub.handle(id, { type: 'pong' }),
    gone(id, reason, why) {
      if (reason === 'lost') say(`disconnect (conn ${id}, irc)`);
      gateway.delete(id);
      hub.disconnect(id, reason, why);
    },
  };

  const plaintext: PlaintextPolicy = options.plaintext ?? (options.secureContext ? 'loopback' : 'any');

  /** TLS connections whose handshake has not finished: the tick gives up those past their deadline. */
  const handshaking = new Set<Conn>();

  class Connection implements Conn {
    readonly ip: string;
    readonly port: number;
    queue: Buffer[] | null = null;
    queued = 0;
    listed = false;
    buffered = 0;
    dead = false;
    allowance = 0;
    seenData = false;
    seenLine = false;
    held = false;
    blockers: Set<Conn> | null = null;
    waiters: Set<Conn> | null = null;
    congestedSince = 0;
    handshakeDeadline = 0;
    /** Its close has been handled (a TLS connection's two sockets both report it). */
    private gone = false;
    private readonly decoder = new FrameDecoder();
    private readonly budget = rates ? new FrameBudget(rates, Date.now()) : undefined;
    // Frames read but not yet handled: the connection is over its budget, waits for a congested client
    // (backpressure), or had its MAX_FRAMES_PER_TURN this turn. The socket is paused meanwhile, so at most
    // one chunk's worth waits here. Null when none wait.
    private pending: FrameEvent[] | null = null;
    private head = 0;
    /** The scheduled pump, if any: an Immediate when `pumpSoon`, else a Timeout. */
    private pumpTimer: NodeJS.Immediate | NodeJS.Timeout | null = null;
    private pumpSoon = false;
    /** When it was last told it is throttled (0: never; set on a first notice, so an idle connection boxes no number, as -Infinity was). */
    private lastNotice = 0;

    constructor(
      readonly id: ConnId,
      public socket: net.Socket,
    ) {
      this.ip = socket.remoteAddress ?? 'unknown';
      this.port = socket.remotePort ?? 0;
    }

    /** Listen to `stream`'s drain, close and error (the TCP socket, then the TLS socket over it). */
    watch(stream: net.Socket): void {
      (stream as OwnedSocket)[CONN] = this;
      stream.on('drain', onDrain);
      stream.on('close', onClose);
      stream.on('error', onError);
    }

    drained(): void {
      this.buffered = 0;
      this.allowance = 0;
      relieve(this);
    }

    closed(): void {
      this.cancelPump();
      if (this.gone) return;
      this.gone = true;
      conns.delete(this.id);
      handshaking.delete(this);
      this.dead = true;
      relieve(this);
      hub.disconnect(this.id, 'lost');
      say(`disconnect ${this.ip}:${this.port} (conn ${this.id})`);
    }

    failed(err: Error): void {
      log('socket_error', { conn: this.id, error: err.message });
    }

    private refuse(protocol: ForeignProtocol | 'tls'): void {
      log('refused', { conn: this.id, why: `${protocol} on the parley port` });
      outbox.send(this.id, foreignAnswer(protocol));
      hub.disconnect(this.id, 'kicked', 'not parley');
    }

    private handle(ev: FrameEvent): void {
      if (ev.kind === 'line' && !this.seenLine) {
        this.seenLine = true;
        const foreign = foreignProtocol(ev.text);
        if (foreign !== null) return this.refuse(foreign);
      }
      if (ev.kind === 'line') hub.receive(this.id, ev.text);
      else if (ev.kind === 'error') hub.frameError(this.id, ev.code);
      else hub.disconnect(this.id, 'kicked', 'line too long');
    }

    private pumpIn(ms: number): void {
      this.pumpSoon = ms <= 0;
      this.pumpTimer = this.pumpSoon ? setImmediate(pumpLater, this) : setTimeout(pumpLater, ms, this);
    }

    private cancelPump(): void {
      if (this.pumpTimer === null) return;
      if (this.pumpSoon) clearImmediate(this.pumpTimer as NodeJS.Immediate);
      else clearTimeout(this.pumpTimer as NodeJS.Timeout);
      this.pumpTimer = null;
    }

    pump(): void {
      this.pumpTimer = null;
      if (this.dead || !conns.has(this.id)) return;
      const budget = this.budget;
      let now = budget ? Date.now() : 0;
      let handled = 0;
      while (this.pending !== null && this.head < this.pending.length && this.blockers === null && handled < MAX_FRAMES_PER_TURN) {
        if (budget) {
          if (!budget.ok(now)) break;
          budget.charge(1, 0, now);
        }
        current = this;
        try {
          this.handle(this.pending[this.head++]!);
        } finally {
          current = null;
        }
        handled++;
        if (this.dead) return;
        if (budget) now = Date.now();
      }
      if (this.pending === null || this.head === this.pending.length) {
        this.pending = null;
        this.head = 0;
      }
      // Waiting for a congested client: relieve() calls resumeReading when it has read enough.
      if (this.blockers !== null) return void this.socket.pause();
      const wait = budget ? budget.waitMs(now) : 0;
      if (this.head === 0 && wait === 0) {
        if (!this.held) this.socket.resume();
        return;
      }
      this.socket.pause();
      this.pumpIn(this.pending !== null && handled >= MAX_FRAMES_PER_TURN ? 0 : Math.max(1, wait));
      if (wait > 0 && now - this.lastNotice >= THROTTLE_NOTICE_EVERY_MS) {
        this.lastNotice = now;
        log('throttled', { conn: this.id, ms: wait });
        const notice: ServerMessage = { type: 'error', code: 'slow_down', message: 'you are sending faster than the server reads; it stops reading your connection for a moment' };
        outbox.send(this.id, encodeFrame(notice));
      }
    }

    resumeReading(): void {
      if (this.pumpTimer === null && !this.dead) this.pumpIn(0);
    }

    read(chunk: Buffer): void {
      if (this.dead) return;
      const decoder = this.decoder;
      const blanks = decoder.blankLines;
      const events = decoder.push(chunk);
      this.budget?.charge(decoder.blankLines - blanks, chunk.length, Date.now());
      // The decoder's array is new on every push: it becomes the pending list when none is waiting.
      if (this.pending === null) this.pending = events.length === 0 ? null : events;
      else for (const ev of events) this.pending.push(ev);
      if (this.pumpTimer === null && this.blockers === null) this.pump();
      else this.socket.pause();
    }

    private refuseWith(code: 'not_parley' | 'tls_required', message: string, why: string): void {
      log('refused', { conn: this.id, ip: this.ip, why });
      outbox.send(this.id, encodeFrame({ type: 'error', code, message } satisfies ServerMessage));
      hub.disconnect(this.id, 'kicked', why);
    }

    // The first bytes say which protocol: a TLS ClientHello starts with record type 0x16, a parley frame
    // with `{` (or whitespace). Nothing is read past them until that is decided.
    first(chunk: Buffer): void {
      if (this.dead) return;
      this.seenData = true;
      const socket = this.socket;
      if (looksLikeTls(chunk)) {
        if (!options.secureContext) return this.refuseWith('not_parley', 'this port speaks plain parley (newline-delimited JSON), not TLS', 'TLS handshake on the plain port');
        socket.pause();
        socket.unshift(chunk);
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: options.secureContext() });
        this.socket = secure;
        this.watch(secure);
        secure.on('data', onRead);
        // A handshake that never finishes would hold the slot until the registration deadline; this is sooner.
        this.handshakeDeadline = Date.now() + handshakeTimeoutMs;
        handshaking.add(this);
        secure.once('secure', onSecure);
        return;
      }
      if (plaintext === 'never' || (plaintext === 'loopback' && !isLoopbackAddress(this.ip))) {
        return this.refuseWith(
          'tls_required',
          plaintext === 'never'
            ? 'this server accepts TLS only; connect with parley --tls'
            : 'this server accepts plaintext only from its own machine; connect with TLS (parley does by default to other hosts)',
          'plaintext refused',
        );
      }
      this.read(chunk);
      socket.on('data', onRead);
    }

    secured(): void {
      this.handshakeDeadline = 0;
      handshaking.delete(this);
    }
  }

  const server = net.createServer((socket) => {
    const conn = new Connection(nextConn++, socket);
    conns.set(conn.id, conn);
    socket.setNoDelay(true);
    say(`connect ${conn.ip}:${conn.port} (conn ${conn.id})`);
    conn.watch(socket);
    if (!hub.connect(conn.id, conn.ip, conn.port)) return;
    socket.once('data', onFirstRead);
  });
  server.maxConnections = 100_000;

  // A client above the high-water mark for SLOW_RECEIVER_MS reads slower than its rooms talk: dropped.
  const dropSlowReceivers = (): void => {
    const now = Date.now();
    for (const conn of congested) if (!conn.dead && now - conn.congestedSince > slowReceiverMs) dropForQueue(conn);
  };
  /** TLS handshakes past their deadline are given up: one check a tick instead of a timer per connection. */
  const endStalledHandshakes = (): void => {
    const now = Date.now();
    for (const conn of handshaking) if (now >= conn.handshakeDeadline) conn.socket.destroy();
  };
  const tick = setInterval(() => {
    hub.tick();
    dropSlowReceivers();
    if (handshaking.size > 0) endStalledHandshakes();
  }, options.tickMs ?? SERVER_TICK_MS);
  tick.unref();

  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PORT, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return listening
    .then(async (): Promise<RunningServer> => {
      // Both IRC ports share one directory of IRC users' user and real names (WHO, WHOIS).
      const ircDefaults = { beforeFlush: () => options.store?.commit(), serverName: 'parley', network: 'parley', version: 'parley-0.1', created: new Date().toUTCString(), host: options.host ?? DEFAULT_HOST, people: new IrcPeople() };
      if (options.ircTls && !options.secureContext) throw new Error('an IRC TLS port needs the server certificate (secureContext)');
      const ircTls = options.ircTls ? await startIrcListener(core, { ...ircDefaults, ...options.ircTls, secureContext: options.secureContext! }) : undefined;
      // The plaintext IRC port follows the parley port's plaintext policy, naming the TLS port in a refusal.
      const irc = options.irc
        ? await startIrcListener(core, { ...ircDefaults, plaintext, ...(ircTls && { tlsPort: ircTls.port }), ...options.irc }).catch(async (err: unknown) => {
            await ircTls?.close();
            throw err;
          })
        : undefined;
      const address = server.address() as net.AddressInfo;
      return {
        hub,
        port: address.port,
        host: address.address,
        ...(irc && { irc }),
        ...(ircTls && { ircTls }),
        close(reason = 'server shutting down') {
          clearInterval(tick);
          hub.shutdown(reason);
          flushAll();
          return new Promise<void>((done) => {
            void irc?.close();
            void ircTls?.close();
            server.close(() => done());
            // Peers that ignore the notice are not waited for.
            setTimeout(() => {
              for (const c of conns.values()) c.socket.destroy();
            }, SHUTDOWN_GRACE_MS).unref();
          });
        },
      };
    })
    .catch((err: unknown) => {
      // The IRC port could not be had: let go of the parley port too, and say why.
      clearInterval(tick);
      server.close(() => {});
      throw err;
    });
}

/**
 * `data` to a TLS socket in writes of at most TLS_WRITE_MAX_BYTES: its buffers grow to the largest write
 * and stay that size for as long as the connection lives (issue 15, target 8).
 */
function writeInRecords(socket: tls.TLSSocket, data: Buffer): void {
  for (let at = 0; at < data.length; at += TLS_WRITE_MAX_BYTES) socket.write(data.subarray(at, at + TLS_WRITE_MAX_BYTES));
}

/** Whether two send queues hold the same frames (the same Buffers in the same order). */
function sameFrames(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
