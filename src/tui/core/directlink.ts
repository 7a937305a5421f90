import net from 'node:net';
import { Handshake, parseDirectMessage, type DirectMessage } from '../../wire/direct.js';
import { RecordOpener, RecordSealer } from '../../wire/direct-records.js';
import { FrameDecoder, encodeFrame } from '../../wire/frame.js';
import {
  DIRECT_ACK_TIMEOUT_MS,
  DIRECT_CONNECT_TIMEOUT_MS,
  DIRECT_HANDSHAKE_TIMEOUT_MS,
  DIRECT_MAX_ATTEMPTS,
  MAX_FRAME_BYTES,
  MAX_SEND_QUEUE_BYTES,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  RATE_BURST,
  RATE_PER_SECOND,
} from '../../wire/limits.js';
import type { ClientMessage } from '../../wire/messages.js';
import { TokenBucket } from '../../wire/ratelimit.js';
import { checkText, sanitizeText } from '../../wire/sanitize.js';

// One direct link to one peer, over TCP: the handshake in the clear, then whispers with acknowledgements
// inside encrypted records (PROTOCOL.md §10.3); a record that fails authentication ends the link. It guards
// itself the way the server guards its clients (frame cap, sanitising, text limit, a token bucket on what
// the peer sends, a send-queue cap, keepalive) and paces what it sends to the same rate. A whisper counts
// as delivered only when the peer acknowledges it; whatever is unacknowledged when the link ends is handed
// back so the caller can send it through the server instead.

export type OutgoingWhisper = Extract<ClientMessage, { type: 'whisper' }>;

export interface DirectLinkOptions {
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  maxAttempts: number;
  ackTimeoutMs: number;
  keepaliveMs: number;
  deadAfterMs: number;
  maxSendQueueBytes: number;
}

export const DEFAULT_LINK_OPTIONS: DirectLinkOptions = {
  connectTimeoutMs: DIRECT_CONNECT_TIMEOUT_MS,
  handshakeTimeoutMs: DIRECT_HANDSHAKE_TIMEOUT_MS,
  maxAttempts: DIRECT_MAX_ATTEMPTS,
  ackTimeoutMs: DIRECT_ACK_TIMEOUT_MS,
  keepaliveMs: PING_INTERVAL_MS,
  deadAfterMs: PING_INTERVAL_MS + PING_TIMEOUT_MS,
  maxSendQueueBytes: MAX_SEND_QUEUE_BYTES,
};

export interface LinkHandlers {
  onOpen(link: DirectLink): void;
  /** A whisper from the peer, sanitised and within limits. */
  onWhisper(n: number, text: string): void;
  /** The peer confirmed one of ours. */
  onDelivered(n: number, whisper: OutgoingWhisper): void;
  /** The peer refused a frame of ours (`whisper` when it was one of our whispers). */
  onRefused(message: string, whisper?: OutgoingWhisper): void;
  /**
   * The link ended without our asking: `wasOpen` false means it never authenticated. `unsent` holds
   * every whisper not confirmed by the peer, in the order typed.
   */
  onClose(why: string, wasOpen: boolean, unsent: OutgoingWhisper[]): void;
}

export class DirectLink {
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  /** Set when the handshake succeeds: from then on every byte either way is a record. */
  private sealer: RecordSealer | undefined;
  private opener: RecordOpener | undefined;
  private readonly inbound = new TokenBucket(RATE_BURST, RATE_PER_SECOND, Date.now());
  private readonly outbound = new TokenBucket(RATE_BURST, RATE_PER_SECOND, Date.now());
  private open = false;
  private ended = false;
  private readonly started = Date.now();
  private lastHeard = Date.now();
  private pinged = false;
  private nextN = 1;
  /** Sent, waiting for the peer's ack, by number (Map keeps send order). */
  private readonly unacked = new Map<number, { whisper: OutgoingWhisper; sentAt: number }>();
  /** Typed faster than the rate allows; sent as tokens come. */
  private readonly queue: OutgoingWhisper[] = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  private readonly watch: NodeJS.Timeout;

  constructor(
    private readonly socket: net.Socket,
    private readonly handshake: Handshake,
    private readonly handlers: LinkHandlers,
    private readonly opts: DirectLinkOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // 'close' follows and says what matters
    socket.on('close', () => this.end(this.open ? 'the direct link dropped' : 'the connection closed during the handshake'));
    const every = Math.max(20, Math.min(1000, opts.handshakeTimeoutMs / 4, opts.ackTimeoutMs / 4, opts.keepaliveMs / 4));
    this.watch = setInterval(() => this.check(), every);
    this.watch.unref();
    for (const m of handshake.start()) this.write(m);
  }

  get isOpen(): boolean {
    return this.open && !this.ended;
  }

  /** Send a whisper; it is reported through onDelivered or handed back by close()/onClose. */
  send(whisper: OutgoingWhisper): void {
    this.queue.push(whisper);
    this.pump();
  }

  /** Close on purpose: tell the peer why, and take back what it has not confirmed. onClose is not called. */
  close(reason: string): OutgoingWhisper[] {
    if (this.ended) return [];
    if (this.open) this.write({ type: 'bye', reason });
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    return this.finish();
  }

  /** The link failed: close it and report through onClose. */
  private end(why: string): void {
    if (this.ended) return;
    const wasOpen = this.open;
    this.socket.destroy();
    this.handlers.onClose(why, wasOpen, this.finish());
  }

  private finish(): OutgoingWhisper[] {
    this.ended = true;
    clearInterval(this.watch);
    clearTimeout(this.pumpTimer);
    const unsent = [...[...this.unacked.values()].map((u) => u.whisper), ...this.queue];
    this.unacked.clear();
    this.queue.length = 0;
    return unsent;
  }

  private pump(): void {
    if (!this.isOpen) return;
    while (this.queue.length > 0 && this.outbound.take(Date.now())) {
      const whisper = this.queue.shift()!;
      const n = this.nextN++;
      this.unacked.set(n, { whisper, sentAt: Date.now() });
      this.write({ type: 'whisper', n, text: whisper.text });
    }
    if (this.queue.length > 0 && !this.pumpTimer) {
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, Math.ceil(1000 / RATE_PER_SECOND));
    }
  }

  private write(m: DirectMessage): void {
    if (this.ended || this.socket.destroyed) return;
    if (this.socket.writableLength > this.opts.maxSendQueueBytes) {
      this.end('the peer is not reading what we send');
      return;
    }
    this.socket.write(this.sealer ? this.sealer.seal(encodeFrame(m)) : encodeFrame(m));
  }

  /** Timers: the handshake deadline, keepalive, and whispers the peer never confirmed. */
  private check(): void {
    const now = Date.now();
    if (!this.open) {
      if (now - this.started >= this.opts.handshakeTimeoutMs) this.end('the handshake took too long');
      return;
    }
    const oldest = this.unacked.values().next();
    if (!oldest.done && now - oldest.value.sentAt >= this.opts.ackTimeoutMs) return this.end('the peer stopped confirming whispers');
    const silent = now - this.lastHeard;
    if (silent >= this.opts.deadAfterMs) return this.end('the peer stopped answering');
    if (silent >= this.opts.keepaliveMs && !this.pinged) {
      this.pinged = true;
      this.write({ type: 'ping', token: String(now) });
    }
  }

  private onData(chunk: Buffer): void {
    this.lastHeard = Date.now();
    this.pinged = false;
    const records = this.opener ? chunk : this.handshakeData(chunk);
    if (!records || records.length === 0 || this.ended) return;
    const opened = this.opener!.push(records);
    if (!opened.ok) return this.end(`the link was tampered with (${opened.why})`);
    for (const plaintext of opened.plaintext) {
      if (this.ended) return;
      this.onFrames(plaintext);
    }
  }

  /**
   * The handshake, one line at a time: the bytes after the line that completes it are already records
   * (the peer may send them in the same TCP segment), so they are returned rather than read as frames.
   */
  private handshakeData(chunk: Buffer): Buffer | undefined {
    for (;;) {
      const nl = chunk.indexOf(0x0a);
      const line = nl === -1 ? chunk : chunk.subarray(0, nl + 1);
      for (const ev of this.decoder.push(line)) {
        if (ev.kind === 'overflow') return void this.end('the peer sent a line far over the frame limit');
        if (ev.kind === 'error') return void this.end(`bad frame during the handshake (${ev.code})`);
        const parsed = parseDirectMessage(ev.text);
        if (!parsed.ok) return void this.end(`bad frame during the handshake (${parsed.code})`);
        const step = this.handshake.receive(parsed.message);
        if (step.kind === 'fail') return void this.end(step.why);
        for (const m of step.messages) this.write(m); // the listener's ready: the last plaintext
        if (step.done) {
          const keys = this.handshake.keys();
          this.sealer = new RecordSealer(keys.send);
          this.opener = new RecordOpener(keys.receive);
          this.open = true;
          this.handlers.onOpen(this);
          this.pump();
        }
      }
      if (nl === -1 || this.ended) return undefined;
      chunk = chunk.subarray(nl + 1);
      if (this.opener) return chunk;
    }
  }

  /** Decrypted bytes: frames as on the server link, under the same limits. */
  private onFrames(plaintext: Buffer): void {
    for (const ev of this.decoder.push(plaintext)) {
      if (this.ended) return;
      if (ev.kind === 'overflow') return this.end('the peer sent a line far over the frame limit');
      if (ev.kind === 'error') {
        this.refuse(ev.code, ev.code === 'frame_too_large' ? `frame dropped: a line may be at most ${MAX_FRAME_BYTES} bytes` : 'frame dropped: it is not valid UTF-8');
        continue;
      }
      const parsed = parseDirectMessage(ev.text);
      if (!this.inbound.take(Date.now())) {
        const n = parsed.ok && parsed.message.type === 'whisper' ? parsed.message.n : undefined;
        this.refuse('rate_limited', `slow down: at most ${RATE_BURST} at once, then ${RATE_PER_SECOND} per second; this one was dropped`, n);
        continue;
      }
      if (!parsed.ok) this.refuse(parsed.code, parsed.message);
      else this.onMessage(parsed.message);
    }
  }

  private onMessage(m: DirectMessage): void {
    switch (m.type) {
      case 'whisper': {
        const checked = checkText(m.text);
        if (!checked.ok) return this.refuse(checked.code, checked.message, m.n);
        this.write({ type: 'ack', n: m.n });
        return this.handlers.onWhisper(m.n, checked.text);
      }
      case 'ack': {
        const u = this.unacked.get(m.n);
        if (!u) return;
        this.unacked.delete(m.n);
        return this.handlers.onDelivered(m.n, u.whisper);
      }
      case 'error': {
        const u = m.n === undefined ? undefined : this.unacked.get(m.n);
        if (u) this.unacked.delete(m.n!);
        return this.handlers.onRefused(sanitizeText(m.message), u?.whisper);
      }
      case 'ping':
        return this.write({ type: 'pong', ...(m.token !== undefined && { token: m.token }) });
      case 'pong':
        return;
      case 'bye':
        return this.end(m.reason === 'stopped' ? 'they closed it' : m.reason === 'quit' ? 'they quit' : `they closed it (${sanitizeText(m.reason ?? '')})`);
      default:
        return this.refuse('invalid_message', `"${m.type}" is only valid during the handshake`);
    }
  }

  private refuse(code: string, message: string, n?: number): void {
    this.write({ type: 'error', code, message, ...(n !== undefined && { n }) });
  }
}

/**
 * Listen on an ephemeral port of `host` for the one peer holding the secret. Every other connection is
 * closed after its failed handshake; after `maxAttempts` failures, or when the deadline passes, the
 * listener gives up (onClose with wasOpen false). Once a peer authenticates, the port is closed.
 */
export class DirectListener {
  private readonly server: net.Server;
  private readonly candidates = new Set<DirectLink>();
  private failures = 0;
  private done = false;
  private readonly deadline: NodeJS.Timeout;

  private constructor(
    private readonly handlers: LinkHandlers,
    private readonly opts: DirectLinkOptions,
    makeHandshake: () => Handshake,
  ) {
    this.server = net.createServer((socket) => {
      if (this.done) return socket.destroy();
      const candidate: DirectLink = new DirectLink(socket, makeHandshake(), this.candidateHandlers(() => candidate), opts);
      this.candidates.add(candidate);
    });
    this.server.maxConnections = opts.maxAttempts;
    this.deadline = setTimeout(() => this.giveUp('they did not connect in time'), opts.connectTimeoutMs);
    this.deadline.unref();
  }

  static open(host: string, makeHandshake: () => Handshake, handlers: LinkHandlers, opts: DirectLinkOptions): Promise<DirectListener> {
    const l = new DirectListener(handlers, opts, makeHandshake);
    return new Promise((resolve, reject) => {
      l.server.once('error', (err) => {
        l.stop();
        reject(err);
      });
      l.server.listen({ host, port: 0 }, () => resolve(l));
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Stop listening and drop connections still in their handshake. */
  stop(): void {
    this.done = true;
    clearTimeout(this.deadline);
    this.server.close();
    for (const c of this.candidates) c.close('stopped');
    this.candidates.clear();
  }

  private giveUp(why: string): void {
    if (this.done) return;
    this.stop();
    this.handlers.onClose(why, false, []);
  }

  private candidateHandlers(self: () => DirectLink): LinkHandlers {
    return {
      ...this.handlers,
      onOpen: (link) => {
        this.candidates.delete(link);
        this.stop();
        this.handlers.onOpen(link);
      },
      onClose: (why, wasOpen, unsent) => {
        if (wasOpen) return this.handlers.onClose(why, wasOpen, unsent);
        this.candidates.delete(self());
        if (++this.failures >= this.opts.maxAttempts) this.giveUp(`${this.failures} connections failed to authenticate (last: ${why})`);
      },
    };
  }
}

/**
 * Connect to the listening peer and authenticate; failures (refused, timeout, bad proof) come through
 * onClose with wasOpen false. Returns a function that abandons the attempt.
 */
export function connectDirect(host: string, port: number, handshake: Handshake, handlers: LinkHandlers, opts: DirectLinkOptions): () => void {
  const socket = net.connect({ host, port });
  let link: DirectLink | undefined;
  let over = false;
  const fail = (why: string) => {
    if (over || link) return;
    over = true;
    clearTimeout(timer);
    socket.destroy();
    handlers.onClose(why, false, []);
  };
  const timer = setTimeout(() => fail('timed out'), opts.connectTimeoutMs);
  timer.unref();
  socket.once('connect', () => {
    clearTimeout(timer);
    link = new DirectLink(socket, handshake, handlers, opts);
  });
  socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ECONNREFUSED' ? 'connection refused' : err.message));
  socket.once('close', () => fail('the connection closed'));
  return () => {
    over = true;
    clearTimeout(timer);
    if (link) link.close('stopped');
    else socket.destroy();
  };
}
