import net from 'node:net';
import tls from 'node:tls';
import { isLoopbackAddress, isLoopbackHost } from '../../wire/address.js';
import { FrameDecoder, encodeFrame } from '../../wire/frame.js';
import { MAX_SERVER_FRAME_BYTES, PING_INTERVAL_MS, PING_TIMEOUT_MS, RATE_BURST, RATE_PER_SECOND, WELCOME_TIMEOUT_MS, QUIT_WAIT_MS, RECONNECT_BACKOFF_MS, BUSY_RETRY_MS, MAX_OFFLINE_PER_USER } from '../../wire/limits.js';
import { parseServerMessage, type ClientMessage, type ServerMessage } from '../../wire/messages.js';
import { TokenBucket } from '../../wire/ratelimit.js';
import { foldName, nameProblem } from '../../wire/names.js';
import { sanitizeText } from '../../wire/sanitize.js';
import { ClientCore, type Mode } from './core.js';
import { DirectManager } from './direct.js';
import type { DirectLinkOptions } from './directlink.js';
import { describeSocketError, ParleyError } from './errors.js';
import { formatServer, parseServerList, type ServerAddress } from './servers.js';
import type { ChatEvent } from './events.js';
import { KnownServers, serverKey } from './known-servers.js';
import { verifyServer, type TrustQuestion } from './verify.js';

// A client session: the ClientCore plus one TCP connection. It paces what it sends to the server's
// documented rate (a pasted or piped burst is delayed, never refused), answers keepalives, notices a dead
// server, and — for the full-screen client — reconnects with backoff and sends what was typed meanwhile.

export interface SessionOptions {
  name: string;
  /** One host, or several as `host1:port1,host2:port2` (a cluster): dialled in turn, moving on when one fails. */
  host: string;
  /** The port of entries that name none. */
  port: number;
  mode: Mode;
  /** Reconnect after a lost connection (full-screen client) instead of ending (line mode). */
  reconnect?: boolean;
  connectTimeoutMs?: number;
  /** Backoff steps between reconnect attempts. */
  backoffMs?: readonly number[];
  /** Silence from the server after which we ping it, and after which we give up on it. */
  keepaliveMs?: number;
  deadAfterMs?: number;
  /** Timeouts of direct private-chat links (tests shrink them). */
  direct?: Partial<DirectLinkOptions>;
  /**
   * Asked for a password when the server wants one (`login`: the name is registered or the server admits
   * accounts only; `register`: the user typed /register). `why` is the server's words, e.g. after a wrong
   * password. Resolve undefined to give up. Line mode answers from PARLEY_PASSWORD/--password-file once;
   * the full-screen client asks without echo. Without it, a server asking for a password ends start().
   */
  askPassword?: (request: PasswordRequest) => Promise<string | undefined>;
  /**
   * TLS: `auto` (the default) uses it to every host but loopback, and to a loopback server trusted before;
   * `on` (--tls) to every host. The server's key is checked before anything is sent (see verify.ts).
   */
  tls?: 'auto' | 'on';
  /** --trust SHA256:...: the fingerprint expected of a server not trusted before. */
  trust?: string;
  /** Asked once about a server not trusted before; resolve true to trust it. Without it such a server is refused. */
  askTrust?: (q: TrustQuestion) => Promise<boolean>;
  /** Where trusted keys are remembered (default: the user's XDG config directory). */
  knownServers?: KnownServers;
  /** Rooms to join once connected (the config's per-server `rooms`), besides those the server puts us in. */
  rooms?: readonly string[];
}

/**
 * Why a password is asked: `login` (the server asks), `register` (a first password, asked twice),
 * `current` (the account's password again: /password, or /logout after a resume), `new` (/password's
 * new one, asked twice).
 */
export type PasswordPurpose = 'login' | 'register' | 'current' | 'new';

export interface PasswordRequest {
  purpose: PasswordPurpose;
  name: string;
  why: string;
  /** The second asking of a new password, to confirm it. */
  confirm?: boolean;
}

/** We send at 90% of the server's rate: network jitter can bunch our frames together on arrival. */
const PACING_SHARE = 0.9;

export class Session {
  readonly core: ClientCore;
  /** Direct private chats: whispers to a peer with an open link skip the server. */
  readonly direct: DirectManager;
  private readonly servers: ServerAddress[];
  /** The server dialled now (index into servers). */
  private current = 0;
  private readonly known: KnownServers;
  /** Servers (serverKey) that asked for TLS: from then on they get nothing else. */
  private readonly upgraded = new Set<string>();
  /** Per server, the TLS session to resume on reconnect (a ticket from it): one round trip, no key exchange. */
  private readonly tlsSessions = new Map<string, Buffer>();
  private socket: net.Socket | undefined;
  private connected = false;
  private closedByUser = false;
  /** Frames waiting for a token from the pacing bucket (or for a connection). */
  private queue: ClientMessage[] = [];
  /** The config's rooms have been asked for (once per run). */
  private roomsJoined = false;
  /** The password of the login in progress, to ask again with after `busy`. */
  /** The hello of the login in progress, sent again as it was after `busy`; forgotten once welcomed. */
  private lastHello: ClientMessage | undefined;
  private busyRetries = 0;
  /** Ids of stored (late) whispers already shown: one delivered again after a reconnect is shown once. */
  private readonly lateSeen = new Set<number>();
  /** The newest stored whisper to acknowledge, sent once per burst of them. */
  private ackUpTo: number | undefined;
  /** Room lines and whispers written to the server and not yet echoed (or refused), by ref. */
  private unacked = new Map<string, ClientMessage>();
  /**
   * Mirrors the server's bucket, refilled at 90% of its rate: network jitter can bunch our frames
   * together on arrival, and a refused line costs more than a slightly slower paste.
   */
  private bucket = new TokenBucket(RATE_BURST, RATE_PER_SECOND * PACING_SHARE, Date.now());
  /** Requests per second we send at most: 90% of the server's rate (its welcome says it; RATE_PER_SECOND until then). */
  private pacing = RATE_PER_SECOND * PACING_SHARE;
  private pumpTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private lastHeard = 0;
  private pongWaiters = new Map<string, () => void>();
  private nextToken = 1;
  private ended: ((err?: ParleyError) => void) | undefined;
  /** The server ended the session for good (logged in elsewhere, idle): do not reconnect. */
  private signedOut: string | undefined;
  /** The error code of the last refused hello (name_taken, ...): whether trying again can help. */
  private refusal: string | undefined;
  /** When the connection was lost: a name refused within the ghost window may be our own old connection. */
  private lostAt = 0;
  /** The refusal of our name on a reconnect was said (once per outage). */
  private refusalShown = false;
  /** Reconnecting stopped at a refusal retrying cannot fix: /nick NEW starts it again. */
  private paused = false;
  /**
   * Requests the server answers later than a ping (a password hash runs first), by ref, and /register
   * while it waits for its password: finish() waits for these too.
   */
  private slow = new Map<string, () => void>();
  private asking: Promise<void> | undefined;
  /** Settles when the session is over: resolves on a clean quit, rejects when the connection is lost for good. */
  readonly done: Promise<void>;

  constructor(
    private readonly opts: SessionOptions,
    private readonly emit: (event: ChatEvent) => void,
  ) {
    this.core = new ClientCore(opts.name, opts.mode);
    this.servers = parseServerList(opts.host, opts.port);
    this.known = opts.knownServers ?? new KnownServers();
    this.direct = new DirectManager({
      core: this.core,
      toServer: (m) => this.enqueue(m),
      emit,
      localAddress: () => this.socket?.localAddress,
      serverAddress: () => this.socket?.remoteAddress,
      ...(opts.direct !== undefined && { link: opts.direct }),
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.ended = (err) => (err ? reject(err) : resolve());
    });
    this.done.catch(() => {}); // callers that only await start() must not see an unhandled rejection
  }

  /** The server dialled now, `host:port`. */
  get server(): string {
    return formatServer(this.servers[this.current]!);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Whether the connection to the current server is (or will be) TLS. */
  get isSecure(): boolean {
    return this.wantsTls(this.servers[this.current]!);
  }

  /**
   * TLS to every host but loopback; to loopback too with --tls, when the server asked for it, or when its
   * key was trusted before (a server once verified is held to it, as HSTS does).
   */
  private wantsTls(t: ServerAddress): boolean {
    const key = serverKey(t.host, t.port);
    return this.opts.tls === 'on' || !isLoopbackHost(t.host) || this.upgraded.has(key) || this.known.lookup(key) !== undefined;
  }

  /**
   * Connect and say hello. Resolves on the welcome; rejects with a ParleyError when the server cannot be
   * reached (`unreachable`) or refuses the name (`name_refused`).
   */
  async start(): Promise<void> {
    // With several servers, each is tried once before start() gives up (with the last one's reason).
    for (let tried = 1; ; tried++) {
      this.emit({ kind: 'status', status: 'connecting', detail: `connecting to ${this.server}` });
      try {
        return await this.connect();
      } catch (err) {
        if (tried >= this.servers.length || !(err instanceof ParleyError) || err.code !== 'unreachable') throw err;
        this.nextServer();
      }
    }
  }

  /** Move on to the next server of the list (a no-op with one). */
  private nextServer(): void {
    this.current = (this.current + 1) % this.servers.length;
  }

  /** A line the user typed. Returns true if it was /quit. */
  input(line: string): boolean {
    const outcome = this.core.input(line);
    for (const e of outcome.events) this.emit(e);
    if (outcome.needPassword === 'register') this.asking = this.register();
    if (outcome.needPassword === 'password') this.asking = this.changePassword();
    if (outcome.needPassword === 'logout') this.asking = this.logout(outcome.logout!);
    for (const m of outcome.send) {
      if (m.type === 'nick' && this.opts.reconnect && !this.connected && !this.closedByUser) {
        this.renameOffline(m.name);
        continue;
      }
      if (m.type === 'quit') {
        // What was typed before /quit goes first: a piped "...lines...\n/quit" loses nothing.
        void this.finish(m.reason);
        return true;
      }
      if (!this.direct.outgoing(m)) this.enqueue(m);
    }
    return outcome.quit === true;
  }

  /**
   * /nick while disconnected: the name the next hello uses (a refused name is what the user fixes this way),
   * and, if reconnecting had stopped at a refusal, a new try at once.
   */
  private renameOffline(name: string): void {
    const problem = nameProblem(name);
    if (problem !== null) {
      this.emit({ kind: 'error', text: `"${sanitizeText(name)}" is not a valid name: ${problem}` });
      return;
    }
    // A login belongs to its name: under another one we come back as a guest.
    if (foldName(name) !== foldName(this.core.name)) this.core.token = undefined;
    this.core.name = name;
    this.emit({ kind: 'help', lines: [`you will come back as ${name}`] });
    if (!this.paused) return;
    this.paused = false;
    this.refusalShown = false;
    this.lostAt = Date.now();
    this.attempt = 0;
    this.scheduleReconnect();
  }

  /**
   * Everything typed is sent and has been handled by the server (a ping after it comes back: the server
   * answers in order), then quit. Used at end of input in line mode.
   */
  async finish(reason?: string): Promise<void> {
    await this.drained();
    await this.quit(reason);
  }

  /** Leave: send quit, wait briefly for the server to close, end the session cleanly. */
  async quit(reason?: string): Promise<void> {
    this.closedByUser = true;
    this.clearTimers();
    this.direct.closeAll('quit');
    const socket = this.socket;
    if (socket && this.connected) {
      // The quit is a request like any other: without a token the server would refuse it as a flood and
      // the room would see "connection lost" instead of the goodbye. A token comes within 1/RATE s.
      while (!this.bucket.take(Date.now())) await new Promise((r) => setTimeout(r, 50));
    }
    if (socket && this.connected) {
      socket.write(encodeFrame({ type: 'quit', ...(reason !== undefined && { reason }) }));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          socket.destroy();
          resolve();
        }, QUIT_WAIT_MS);
        socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        socket.end();
      });
    } else {
      socket?.destroy();
    }
    this.connected = false;
    this.ended?.();
  }

  /** Drop the connection without a word (tests; fatal errors). */
  destroy(): void {
    this.closedByUser = true;
    this.clearTimers();
    this.direct.closeAll('quit');
    this.socket?.destroy();
  }

  /** /password: the current password, then the new one twice; every other login of the account ends. */
  private async changePassword(): Promise<void> {
    const ask = this.opts.askPassword;
    const name = this.core.name;
    const old = ask ? await ask({ purpose: 'current', name, why: `the current password of ${name}` }) : undefined;
    const password = old === undefined || !ask ? undefined : await ask({ purpose: 'new', name, why: `choose a new password for ${name}` });
    const again = password === undefined || !ask ? undefined : await ask({ purpose: 'new', name, why: `type the new password for ${name} again`, confirm: true });
    if (old === undefined || password === undefined || again === undefined) {
      this.emit({ kind: 'error', text: 'no password given, so the password was not changed (line mode asks only on a terminal)' });
      return;
    }
    if (again !== password) {
      this.emit({ kind: 'error', text: 'the two new passwords differ, so the password was not changed; /password to try again' });
      return;
    }
    await this.answered(this.core.changePassword(old, password));
  }

  /** /logout ID|all from a login that resumed with a token: the server wants the password again. */
  private async logout(target: string): Promise<void> {
    const ask = this.opts.askPassword;
    const name = this.core.name;
    const password = ask ? await ask({ purpose: 'current', name, why: `this login resumed without a password; ${name}'s password to end ${target === 'all' ? 'the other logins' : 'that login'}` }) : undefined;
    if (password === undefined) {
      this.emit({ kind: 'error', text: 'no password given, so no login was ended' });
      return;
    }
    await this.answered(this.core.logout(target, password));
  }

  /** Send a request that carries a password and wait for its answer (or the connection's end). */
  private answered(request: ClientMessage & { ref?: string }): Promise<void> {
    const done = new Promise<void>((resolve) => this.slow.set(request.ref!, resolve));
    this.enqueue(request);
    return done;
  }

  private async register(): Promise<void> {
    const ask = this.opts.askPassword;
    const name = this.core.name;
    const password = ask ? await ask({ purpose: 'register', name, why: `choose a password for ${name}` }) : undefined;
    // Asked twice, as passwd does: a typo in a password nobody sees would lock its owner out.
    const again = password === undefined || !ask ? undefined : await ask({ purpose: 'register', name, why: `type the password for ${name} again`, confirm: true });
    if (password === undefined || again === undefined) {
      this.emit({ kind: 'error', text: 'no password given, so nothing was registered (line mode reads it from PARLEY_PASSWORD or --password-file, or asks on a terminal)' });
      return;
    }
    if (again !== password) {
      this.emit({ kind: 'error', text: 'the two passwords differ, so nothing was registered; /register to try again' });
      return;
    }
    await this.answered(this.core.register(password));
  }

  private async drained(): Promise<void> {
    await this.asking;
    // Reconnecting (line mode --reconnect at the end of its input): what waits is sent once we are back,
    // unless reconnecting has stopped.
    while (this.opts.reconnect && !this.connected && !this.closedByUser && !this.paused && this.signedOut === undefined) await new Promise((r) => setTimeout(r, 50));
    // Only while connected: a server that dies mid-drain must end the wait, not leave it polling forever.
    while (this.queue.length > 0 && this.connected) await new Promise((r) => setTimeout(r, 20));
    if (!this.connected) return;
    const token = `drain-${this.nextToken++}`;
    await new Promise<void>((resolve) => {
      this.pongWaiters.set(token, resolve);
      this.socket!.write(encodeFrame({ type: 'ping', token }));
    });
  }

  private enqueue(m: ClientMessage): void {
    if (this.connected && this.queue.length === 0 && this.bucket.take(Date.now())) {
      this.write(m);
      return;
    }
    this.queue.push(m);
    if (m.type === 'say' || m.type === 'whisper') {
      this.emit({ kind: 'pending', ref: m.ref!, text: m.text, action: m.type === 'say' && m.action === true, ...(m.type === 'whisper' && { to: m.to }) });
    }
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpTimer || !this.connected) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, Math.ceil(1000 / this.pacing));
  }

  private pump(): void {
    while (this.connected && this.queue.length > 0 && this.bucket.take(Date.now())) this.write(this.queue.shift()!);
    if (this.queue.length > 0) this.schedulePump();
  }

  private write(m: ClientMessage): void {
    if ((m.type === 'say' || m.type === 'whisper') && m.ref !== undefined) this.unacked.set(m.ref, m);
    this.socket!.write(encodeFrame(m));
  }

  private connect(): Promise<void> {
    this.busyRetries = 0; // each attempt gets its own retries
    return new Promise((resolve, reject) => {
      const target = this.servers[this.current]!;
      const key = serverKey(target.host, target.port);
      const secure = this.wantsTls(target);
      const resume = this.tlsSessions.get(key);
      const socket = secure
        ? tls.connect({
            host: target.host,
            port: target.port,
            ...(net.isIP(target.host) === 0 && { servername: target.host }),
            // We decide ourselves (verify.ts): a self-signed key the user trusted is as good as a CA's word.
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2',
            ...(resume && { session: resume }),
          })
        : net.connect({ host: target.host, port: target.port });
      // Tickets are kept only from a server we verified: resuming one proves the server is that one (only
      // it can open the ticket), so a resumed connection needs no second look at a certificate.
      let verified = false;
      let ticket: Buffer | undefined;
      if (secure) socket.on('session', (t: Buffer) => (verified ? this.tlsSessions.set(key, t) : (ticket = t)));
      this.socket = socket;
      socket.setNoDelay(true);
      let welcomed = false;
      // Settled once: by the welcome, a refusal, or a retry over TLS that takes over.
      let settled = false;
      const succeed = () => {
        settled = true;
        resolve();
      };
      const fail = (err: ParleyError) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      // One deadline from dialling to welcome: a host that never answers and a server that accepts but
      // never says welcome (not parley, or wedged) both end in one clear line instead of a hang.
      const limit = this.opts.connectTimeoutMs ?? WELCOME_TIMEOUT_MS;
      const connectTimer = setTimeout(() => {
        if (socket.connecting) {
          socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
        } else {
          fail(new ParleyError('unreachable', `${this.server} accepted the connection but sent no welcome within ${limit / 1000} s; is it a parley server?`));
          socket.destroy();
        }
      }, limit);
      const decoder = new FrameDecoder(MAX_SERVER_FRAME_BYTES, MAX_SERVER_FRAME_BYTES);

      socket.once(secure ? 'secureConnect' : 'connect', () => {
        this.lastHeard = Date.now();
        // Nothing, not even the name, goes out before we know whom we are talking to.
        this.checkServer(socket, target, () => clearTimeout(connectTimer)).then(
          () => {
            if (socket.destroyed) return;
            verified = true;
            if (ticket) this.tlsSessions.set(key, ticket);
            this.bucket.take(Date.now()); // the server charges hello too
            socket.write(encodeFrame(this.core.hello()));
          },
          (err: ParleyError) => {
            clearTimeout(connectTimer);
            this.tlsSessions.delete(key);
            fail(err);
            socket.destroy();
          },
        );
      });
      socket.on('data', (chunk: Buffer) => {
        this.lastHeard = Date.now();
        for (const ev of decoder.push(chunk)) {
          if (ev.kind === 'overflow') {
            this.emit({ kind: 'error', text: 'the server sent a line longer than 1 MiB; disconnecting' });
            socket.destroy();
            return;
          }
          if (ev.kind === 'error') {
            this.emit({ kind: 'error', text: `the server sent a bad frame (${ev.code}); ignored` });
            continue;
          }
          const parsed = parseServerMessage(ev.text);
          if (!parsed.ok) {
            // A newer server may send kinds of events this client does not know: ignored quietly (PROTOCOL.md §3.3).
            if (parsed.code !== 'unknown_type') this.emit({ kind: 'error', text: `the server sent a frame parley does not understand (${parsed.code}); ignored` });
            continue;
          }
          const msg = parsed.message;
          if (!welcomed) {
            if (msg.type === 'welcome') {
              welcomed = true;
              clearTimeout(connectTimer);
              this.onWelcome(msg);
              succeed();
            } else if (msg.type === 'error' && msg.code === 'tls_required' && !secure) {
              // The server wants TLS from us: an upgrade, so follow it at once (the key is checked as usual).
              clearTimeout(connectTimer);
              settled = true;
              this.upgraded.add(key);
              socket.destroy();
              this.connect().then(resolve, reject);
              return;
            } else if (msg.type === 'error' && msg.ref === 'hello') {
              // The server answered: from here on a person may be typing a password, or we are waiting out
              // a busy server. Our dial deadline is over; the server's registration deadline bounds the rest.
              clearTimeout(connectTimer);
              const refusal = this.helloRefused(msg, socket);
              if (refusal) {
                socket.destroy();
                fail(refusal);
                return;
              }
              continue;
            }
          }
          this.onMessage(msg);
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (welcomed) return;
        if (err instanceof ParleyError) return fail(err);
        const why = secure && /^ERR_SSL|^ERR_TLS/.test(err.code ?? '') ? `cannot make a TLS connection to ${this.server} (${err.message.trim()}); is it a parley server with TLS?` : describeSocketError(err, target.host, target.port);
        fail(new ParleyError('unreachable', why, { cause: err }));
      });
      socket.on('close', () => {
        clearTimeout(connectTimer);
        if (!welcomed) {
          fail(new ParleyError('unreachable', `the server at ${this.server} closed the connection before welcoming us`));
        }
        if (this.socket === socket) this.onClose(welcomed);
      });
    });
  }

  /**
   * Whether we may talk to the server at the other end of `socket`: over TLS, it must prove the key this user
   * trusts (verify.ts; `pause` stops the dial deadline while a person is asked); in plaintext, it must be on
   * this machine, because a password or token in plaintext must never cross a network.
   */
  private async checkServer(socket: net.Socket, target: ServerAddress, pause: () => void): Promise<void> {
    if (socket instanceof tls.TLSSocket) {
      await verifyServer(socket, {
        host: target.host,
        port: target.port,
        known: this.known,
        ...(this.opts.trust !== undefined && { trust: this.opts.trust }),
        ...(this.opts.askTrust && {
          ask: (q: TrustQuestion) => {
            pause();
            return this.opts.askTrust!(q);
          },
        }),
      });
      return;
    }
    if (!isLoopbackAddress(socket.remoteAddress)) {
      throw new ParleyError('untrusted', `${target.host} is ${socket.remoteAddress}, not this machine, so parley will not talk to it in plaintext; connect with --tls`);
    }
  }

  /**
   * The server did not let us in. Asks for a password (or retries without a stale token) on the same
   * connection and returns null, or returns the error that ends start().
   */
  private helloRefused(msg: Extract<ServerMessage, { type: 'error' }>, socket: net.Socket): ParleyError | null {
    const text = sanitizeText(msg.message);
    switch (msg.code) {
      case 'bad_token':
        this.core.token = undefined;
        socket.write(encodeFrame(this.core.hello()));
        return null;
      case 'password_required':
      case 'login_failed': {
        const ask = this.opts.askPassword;
        if (!ask) return new ParleyError('auth_failed', `${text} (set PARLEY_PASSWORD or use --password-file)`);
        ask({ purpose: 'login', name: this.core.name, why: text }).then(
          (password) => {
            if (socket.destroyed) return;
            if (password === undefined) {
              socket.destroy(new ParleyError('auth_failed', msg.code === 'login_failed' ? text : `${text} (set PARLEY_PASSWORD or use --password-file)`));
            } else {
              this.lastHello = this.core.hello(password);
              socket.write(encodeFrame(this.lastHello));
            }
          },
          (err: unknown) => socket.destroy(err instanceof Error ? err : new Error(String(err))),
        );
        return null;
      }
      case 'busy': {
        // The server is checking other logins (its hash queue is full, or one for this name runs): a
        // momentary state, so ask again on the same connection, a little later each time.
        if (this.busyRetries >= BUSY_RETRY_MS.length) return new ParleyError('auth_failed', text);
        const again = this.lastHello ?? this.core.hello();
        setTimeout(() => socket.destroyed || socket.write(encodeFrame(again)), BUSY_RETRY_MS[this.busyRetries++]);
        return null;
      }
      case 'locked':
      case 'slow_down':
        return new ParleyError('auth_failed', text);
      default:
        this.refusal = msg.code;
        return new ParleyError('name_refused', `the server refused the name "${this.core.name}": ${text}`);
    }
  }

  private onWelcome(msg: Extract<ServerMessage, { type: 'welcome' }>): void {
    // Pace to the server's own flood limit when it says what it is (PROTOCOL.md §5.2); 0 means none.
    const limits = msg.limits;
    if (limits !== undefined && limits.rateBurst > 0 && limits.ratePerSecond >= 0 && (limits.rateBurst !== RATE_BURST || limits.ratePerSecond !== RATE_PER_SECOND)) {
      this.pacing = limits.ratePerSecond > 0 ? limits.ratePerSecond * PACING_SHARE : 1000;
      this.bucket = new TokenBucket(limits.rateBurst, limits.ratePerSecond > 0 ? this.pacing : 1_000_000, Date.now()); // no flood control: unpaced
      this.bucket.take(Date.now()); // the server charged our hello to its bucket too
    }
    this.connected = true;
    this.busyRetries = 0;
    this.lastHello = undefined; // the password is not kept past the login
    this.attempt = 0;
    this.emit({ kind: 'status', status: 'connected', detail: `connected to ${this.server}` });
    for (const e of this.core.receive(msg, this.server)) this.emit(e);
    // Away is the connection's state on the server: say it again first (a /back typed meanwhile follows it).
    const away = this.core.awayAgain();
    if (away) this.queue.unshift(away);
    // The config's rooms, at the first welcome: after a reconnect the server puts us back in our rooms.
    if (!this.roomsJoined) {
      this.roomsJoined = true;
      for (const room of this.opts.rooms ?? []) if (!this.core.rooms.some((r) => r.toLowerCase() === room.toLowerCase())) this.input(`/join ${room}`);
    }
    this.startKeepalive();
    this.pump();
  }

  private onMessage(msg: ServerMessage): void {
    if (msg.type === 'welcome') return; // handled in onWelcome
    if (msg.type === 'ping') {
      this.socket?.write(encodeFrame({ type: 'pong', ...(msg.token !== undefined && { token: msg.token }) }));
      return;
    }
    if (msg.type === 'pong') {
      const waiter = msg.token === undefined ? undefined : this.pongWaiters.get(msg.token);
      if (waiter) {
        this.pongWaiters.delete(msg.token!);
        waiter();
      }
      return;
    }
    const ref = 'ref' in msg ? msg.ref : undefined;
    if (ref !== undefined) {
      this.unacked.delete(ref); // its echo or its error: either way the server has handled it
      this.slow.get(ref)?.();
      this.slow.delete(ref);
    }
    if (msg.type === 'whisper' && msg.late === true && !this.lateArrived(msg.id)) return;
    for (const e of this.core.receive(msg, this.server)) {
      if (e.kind === 'signed_out') this.signedOut = e.text;
      this.emit(e);
    }
    this.direct.receive(msg);
  }

  /**
   * A stored whisper arrived: acknowledge it (the server keeps it until then), once for the whole burst.
   * Returns false when this id was shown already.
   */
  private lateArrived(id: number): boolean {
    const socket = this.socket;
    if (this.ackUpTo === undefined && socket) {
      setImmediate(() => {
        if (this.ackUpTo !== undefined && !socket.destroyed) socket.write(encodeFrame({ type: 'ack', upTo: this.ackUpTo }));
        this.ackUpTo = undefined;
      });
    }
    this.ackUpTo = Math.max(this.ackUpTo ?? id, id);
    if (this.lateSeen.has(id)) return false;
    this.lateSeen.add(id);
    // Bounded: the server never holds more than a mailbox's worth of them at once.
    if (this.lateSeen.size > 4 * MAX_OFFLINE_PER_USER) this.lateSeen.delete(this.lateSeen.values().next().value!);
    return true;
  }

  private onClose(wasWelcomed: boolean): void {
    // A connection that never got its welcome was a failed attempt: start() has rejected, or the reconnect
    // loop has already scheduled the next try (its rejection runs before this close event), and clearing
    // timers here would cancel that try and leave the client reconnecting forever.
    if (!wasWelcomed) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.clearTimers();
    // The server ends our pairings when we drop off it, so the links go too.
    this.direct.closeAll('lost the server');
    for (const w of this.pongWaiters.values()) w();
    this.pongWaiters.clear();
    for (const w of this.slow.values()) w();
    this.slow.clear();
    if (this.closedByUser || !wasWelcomed) return;
    if (this.signedOut !== undefined) {
      this.emit({ kind: 'status', status: 'disconnected', detail: this.signedOut });
      this.ended?.(new ParleyError('signed_out', this.signedOut));
      return;
    }
    if (this.opts.reconnect) {
      // Lines written to the dead socket whose echo never came back may or may not have reached the
      // server: they wait, shown as pending, and go first on reconnect with their refs, which the server
      // recognises if it did accept them (no loss, no duplicate).
      for (const m of this.unacked.values()) {
        if (m.type === 'say' || m.type === 'whisper') {
          this.emit({ kind: 'pending', ref: m.ref!, text: m.text, action: m.type === 'say' && m.action === true, ...(m.type === 'whisper' && { to: m.to }) });
        }
      }
      this.queue = [...this.unacked.values(), ...this.queue];
      this.unacked.clear();
      this.lostAt = Date.now();
      this.refusalShown = false;
      this.nextServer(); // in a cluster, another node: the one we had may be the one that died
      this.scheduleReconnect();
      return;
    }
    this.emit({ kind: 'status', status: 'disconnected', detail: `connection to ${this.server} lost` });
    this.ended?.(new ParleyError('connection_lost', wasConnected ? `lost the connection to ${this.server}` : `could not stay connected to ${this.server}`));
  }

  private scheduleReconnect(): void {
    const steps = this.opts.backoffMs ?? RECONNECT_BACKOFF_MS;
    const delay = steps[Math.min(this.attempt, steps.length - 1)]!;
    this.attempt++;
    this.emit({ kind: 'status', status: 'reconnecting', detail: `connection lost; reconnecting in ${Math.ceil(delay / 1000)} s (attempt ${this.attempt})` });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // A refused name is retried only while that can help (see refused()).
      this.connect().catch((err: unknown) => {
        if (this.closedByUser) return;
        if (err instanceof ParleyError && err.code === 'untrusted') {
          // Never retried: the next try would meet the same impostor, and the user must see why.
          this.emit({ kind: 'error', text: err.message, code: 'untrusted' });
          this.emit({ kind: 'status', status: 'disconnected', detail: `refused ${this.server}: its key is not the one you trust` });
          this.closedByUser = true;
          this.clearTimers();
          this.ended?.(err);
          return;
        }
        if (err instanceof ParleyError && (err.code === 'name_refused' || err.code === 'auth_failed') && this.refused(err)) return;
        this.nextServer();
        this.scheduleReconnect();
      });
    }, delay);
  }

  /**
   * The server refused our name (or login) on a reconnect. Said once. A name taken may be held by our own
   * old connection until the server notices it is dead (its ping interval and timeout, or a cluster node
   * that died): only within that window is trying again any use. Returns true when reconnecting stops
   * here, until /nick NEW.
   */
  private refused(err: ParleyError): boolean {
    const limits = this.core.limits;
    const ghostMs = limits ? limits.pingIntervalMs + limits.pingTimeoutMs : PING_INTERVAL_MS + PING_TIMEOUT_MS;
    const left = this.lostAt + ghostMs - Date.now();
    const mayPass = err.code === 'name_refused' && (this.refusal === 'name_taken' || this.refusal === 'name_confusable') && left > 0;
    if (!this.refusalShown) {
      this.refusalShown = true;
      const retry = mayPass ? ` (parley tries "${this.core.name}" again for ${Math.ceil(left / 1000)} s, in case your old connection still holds it)` : '';
      this.emit({ kind: 'error', text: `${err.message}; /nick NEW to come back under another name${retry}`, code: err.code });
    }
    if (mayPass) return false;
    this.paused = true;
    this.emit({ kind: 'status', status: 'refused', detail: `not reconnecting: "${this.core.name}" was refused; /nick NEW to come back` });
    return true;
  }

  private startKeepalive(): void {
    const limits = this.core.limits;
    const every = this.opts.keepaliveMs ?? limits?.pingIntervalMs ?? PING_INTERVAL_MS;
    const deadAfter = this.opts.deadAfterMs ?? (limits ? limits.pingIntervalMs + limits.pingTimeoutMs : PING_INTERVAL_MS + PING_TIMEOUT_MS);
    this.keepaliveTimer = setInterval(() => {
      const silent = Date.now() - this.lastHeard;
      if (silent >= deadAfter) this.socket?.destroy();
      else if (silent >= every) this.socket?.write(encodeFrame({ type: 'ping', token: `k${this.nextToken++}` }));
    }, Math.min(every, 5000));
    this.keepaliveTimer.unref();
  }

  private clearTimers(): void {
    clearTimeout(this.pumpTimer);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.keepaliveTimer);
    this.pumpTimer = this.reconnectTimer = this.keepaliveTimer = undefined;
  }
}
