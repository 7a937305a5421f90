import { encodeFrame } from '../wire/frame.js';
import {
  DEFAULT_HISTORY,
  ACCEPTED_REFS_PER_SENDER,
  ACCEPTED_REFS_SENDERS,
  MAINTENANCE_EVERY_MS,
  MAX_FRAME_BYTES,
  MAX_BLOCKS,
  MAX_CONNECTIONS_PER_IP,
  MAX_OFFLINE_PER_USER,
  MAX_SEEN_ENTRIES,
  MAX_REASON_CHARS,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  PROTOCOL_VERSION,
  RATE_BURST,
  RATE_PER_SECOND,
  REGISTRATION_TIMEOUT_MS,
} from '../wire/limits.js';
import type { ClientMessage, ErrorCode, LeaveReason, SeenEntry, ServerMessage } from '../wire/messages.js';
import { parseClientMessage } from '../wire/messages.js';
import { compareNames, foldName, nameProblem } from '../wire/names.js';
import { checkText, sanitizeText, truncateCodePoints } from '../wire/sanitize.js';
import { TokenBucket } from '../wire/ratelimit.js';
import { dialableAddress } from '../wire/direct.js';
import { PrivateDesk, type Delivery, type PrivateDeskOptions } from './private.js';
import type { Accounts, AuthResult } from './accounts.js';
import { BlockList } from './blocks.js';
import { AcceptedRefs, requestDigest } from './accepted.js';
import type { Store } from './store.js';

// The room as plain data: who is connected, under which name, and where each frame goes. No sockets and
// no timers: the host feeds it lines and calls tick(); it answers through the Outbox. Tests drive it directly.

export type ConnId = number;

export interface Outbox {
  /**
   * Queue bytes for one connection. The same Buffer may be handed to many connections. `backlog` bytes
   * (history and stored whispers at login) are allowed on top of the send-queue cap until they drain.
   */
  send(conn: ConnId, frame: Buffer, backlog?: boolean): void;
  /** Close a connection once what is queued for it has been written (if it can still be written). */
  close(conn: ConnId): void;
}

export type LogFields = Record<string, string | number | boolean | undefined>;
export type HubLog = (event: string, fields: LogFields) => void;

export interface HubOptions {
  clock?: () => number;
  motd?: string;
  log?: HubLog;
  /** Log the text of whispers (off by default: the operator has no business reading them). */
  logWhisperText?: boolean;
  rateBurst?: number;
  /** Tokens refilled per second; 0 turns rate limiting off (benchmarks). */
  ratePerSecond?: number;
  registrationTimeoutMs?: number;
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  maxConnectionsPerIp?: number;
  /** Timeouts and caps of direct private chat (tests shrink them). */
  privateChat?: Omit<PrivateDeskOptions, 'clock'>;
  /** Where history, offline whispers, blocks and last-seen times are kept; without it nothing outlives the process. */
  store?: Store;
  /** Password logins (`--auth optional|required`); without it every name is free, as with `--auth off`. */
  accounts?: Accounts;
  /** Room messages replayed on join (0: none). Needs a store. */
  historySize?: number;
  /** Log out a user after this long without a request (0: never). */
  idleTimeoutMs?: number;
}

export interface Client {
  id: ConnId;
  ip: string;
  addr: string;
  name?: string;
  connectedAt: number;
  lastHeard: number;
  pingSent: boolean;
  bucket: TokenBucket;
  /** Last request other than ping/pong, for the idle timeout. */
  lastActive: number;
  /** Logged in to a registered name. */
  account: boolean;
  /** The session token of that login, ended when the user quits. */
  token?: string;
  /** A password check for this connection is running; it continues in loginChecked/registerChecked. */
  checking: boolean;
  blocks: BlockList;
}

/** What Hub.persist returns when the store failed (distinct from any value, `undefined` included). */
const FAILED = Symbol('store failed');


export const DEFAULT_MOTD = 'Welcome to parley. Type /help for commands; be kind.';

const REASON_TEXT: Record<LeaveReason, string> = {
  quit: 'quit',
  lost: 'connection lost',
  timeout: 'timed out',
  kicked: 'kicked',
};

export class Hub {
  private readonly clients = new Map<ConnId, Client>();
  /** Registered clients by folded name. */
  private readonly byName = new Map<string, Client>();
  private readonly perIp = new Map<string, number>();
  /** The room's names, kept sorted as people come, go and rename: a join storm must not sort the room per join. */
  private readonly sorted: string[] = [];
  private readonly accepted = new AcceptedRefs(ACCEPTED_REFS_PER_SENDER, ACCEPTED_REFS_SENDERS);
  private nextId = 1;
  private readonly clock: () => number;
  private readonly log: HubLog;
  private readonly opts: Required<Omit<HubOptions, 'clock' | 'log' | 'privateChat' | 'store' | 'accounts'>>;
  private readonly privateDesk: PrivateDesk;
  private readonly store: Store | undefined;
  private readonly accounts: Accounts | undefined;
  private lastMaintenance = 0;

  constructor(
    private readonly out: Outbox,
    options: HubOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? (() => {});
    this.opts = {
      motd: options.motd ?? DEFAULT_MOTD,
      logWhisperText: options.logWhisperText ?? false,
      rateBurst: options.rateBurst ?? RATE_BURST,
      ratePerSecond: options.ratePerSecond ?? RATE_PER_SECOND,
      registrationTimeoutMs: options.registrationTimeoutMs ?? REGISTRATION_TIMEOUT_MS,
      pingIntervalMs: options.pingIntervalMs ?? PING_INTERVAL_MS,
      pingTimeoutMs: options.pingTimeoutMs ?? PING_TIMEOUT_MS,
      maxConnectionsPerIp: options.maxConnectionsPerIp ?? MAX_CONNECTIONS_PER_IP,
      historySize: options.store ? (options.historySize ?? DEFAULT_HISTORY) : 0,
      idleTimeoutMs: options.idleTimeoutMs ?? 0,
    };
    this.store = options.store;
    this.accounts = options.accounts;
    if (this.store) this.nextId = this.store.firstMessageId();
    this.privateDesk = new PrivateDesk(
      {
        idOf: (name) => this.byName.get(foldName(name))?.id,
        nameOf: (id) => this.clients.get(id)?.name ?? '?',
        addressOf: (id) => dialableAddress(this.clients.get(id)?.ip ?? ''),
        mayAsk: (from, to) => this.mayAskPrivate(this.clients.get(from)!, this.clients.get(to)!),
      },
      { ...options.privateChat, clock: this.clock },
    );
  }

  /**
   * Whether `from` may ask `to` for a direct private chat: not when `to` blocks `from`. The asker is
   * told only that the request was refused, as with a whisper to someone who blocks them.
   */
  protected mayAskPrivate(from: Client, to: Client): boolean {
    return from.name === undefined || !to.blocks.has(foldName(from.name));
  }

  /** Names in the room, sorted case-insensitively. */
  users(): string[] {
    return [...this.sorted];
  }

  /** Where `name` stands, or would stand, in `sorted`. */
  private rank(name: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareNames(this.sorted[mid]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private list(name: string): void {
    this.sorted.splice(this.rank(name), 0, name);
  }

  private unlist(name: string): void {
    const i = this.rank(name);
    if (this.sorted[i] === name) this.sorted.splice(i, 1);
  }

  /** The room as `c` sees it: without the names it blocks. */
  private usersFor(c: Client): string[] {
    const all = this.users();
    return c.blocks.size === 0 ? all : all.filter((n) => !c.blocks.has(foldName(n)));
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** A new connection from `ip`:`port`. Returns false (and closes it) when its IP is over the cap. */
  connect(id: ConnId, ip: string, port: number): boolean {
    const now = this.clock();
    const addr = ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
    const count = (this.perIp.get(ip) ?? 0) + 1;
    const cap = this.opts.maxConnectionsPerIp;
    if (cap > 0 && count > cap) {
      this.log('refused', { conn: id, addr, why: `more than ${cap} connections from ${ip}` });
      this.out.send(id, encodeFrame(errorFrame('too_many_connections', `at most ${cap} connections from one address; close one and try again`)));
      this.out.close(id);
      return false;
    }
    this.perIp.set(ip, count);
    this.clients.set(id, {
      id,
      ip,
      addr,
      connectedAt: now,
      lastHeard: now,
      pingSent: false,
      bucket: new TokenBucket(this.opts.rateBurst, this.opts.ratePerSecond, now),
      lastActive: now,
      account: false,
      checking: false,
      blocks: new BlockList(this.store),
    });
    this.log('connect', { conn: id, addr });
    return true;
  }

  /** One complete frame (already split and UTF-8 checked by the decoder). */
  receive(id: ConnId, line: string): void {
    const c = this.clients.get(id);
    if (!c) return;
    const now = this.clock();
    c.lastHeard = now;
    c.pingSent = false;
    const parsed = parseClientMessage(line);
    if (!parsed.ok) {
      if (!this.spend(c, now, parsed.ref)) return;
      this.error(c, parsed.code, parsed.message, { re: parsed.re, ref: parsed.ref });
      return;
    }
    const msg = parsed.message;
    if (msg.type === 'ping') return this.reply(c, { type: 'pong', ...(msg.token !== undefined && { token: msg.token }) });
    if (msg.type === 'pong') return;
    if (!this.spend(c, now, msg.ref)) return;
    c.lastActive = now;
    if (msg.type === 'hello') return this.hello(c, msg, now);
    if (c.name === undefined) {
      return this.error(c, 'not_registered', 'say hello first: {"type":"hello","name":"yourname","version":1}', { re: msg.type, ref: msg.ref });
    }
    switch (msg.type) {
      case 'say':
        return this.say(c, msg, now);
      case 'whisper':
        return this.whisper(c, msg, now);
      case 'nick':
        return this.nick(c, msg, now);
      case 'list':
        return this.reply(c, { type: 'users', users: this.usersFor(c), ...(msg.ref !== undefined && { ref: msg.ref }) });
      case 'private':
      case 'allow':
      case 'deny':
      case 'private_port':
      case 'private_end':
        return this.deliverPrivate(this.privateDesk.handle(c.id, msg));
      case 'register':
        return this.register(c, msg);
      case 'whoelse':
        return this.whoelse(c, msg, now);
      case 'block':
        return this.block(c, msg);
      case 'unblock':
        return this.unblock(c, msg);
      case 'quit':
        if (c.token !== undefined) this.persist(c, 'quit', undefined, () => this.accounts?.endSession(c.token!));
        return this.remove(c, 'quit', msg.reason === undefined ? undefined : truncateCodePoints(sanitizeText(msg.reason), MAX_REASON_CHARS));
    }
  }

  /** The decoder dropped a line (too long, not UTF-8). The connection goes on. */
  frameError(id: ConnId, code: 'frame_too_large' | 'invalid_utf8'): void {
    const c = this.clients.get(id);
    if (!c) return;
    c.lastHeard = this.clock();
    const message = code === 'frame_too_large' ? `frame dropped: a line may be at most ${MAX_FRAME_BYTES} bytes` : 'frame dropped: it is not valid UTF-8';
    this.error(c, code, message);
  }

  /**
   * The connection is gone or must go: the socket closed (`lost`), or the host gave up on it (`kicked`,
   * with why). Idempotent, so a socket that errors and then closes yields exactly one left notice.
   */
  disconnect(id: ConnId, reason: LeaveReason, why?: string): void {
    const c = this.clients.get(id);
    if (c) this.remove(c, reason, why);
  }

  /** Timers, driven by the host about once a second: registration deadline and keepalive. */
  tick(): void {
    const now = this.clock();
    const idle = this.opts.idleTimeoutMs;
    for (const c of this.clients.values()) {
      if (c.name === undefined) {
        if (now - c.connectedAt >= this.opts.registrationTimeoutMs) {
          this.error(c, 'registration_timeout', `no hello within ${Math.round(this.opts.registrationTimeoutMs / 1000)} s; closing`);
          this.remove(c, 'timeout');
        }
        continue;
      }
      if (idle > 0 && now - c.lastActive >= idle) {
        this.error(c, 'idle_timeout', `logged out after ${Math.round(idle / 1000)} s without activity; reconnect to come back`);
        this.remove(c, 'timeout', 'idle');
        continue;
      }
      const silent = now - c.lastHeard;
      if (silent >= this.opts.pingIntervalMs + this.opts.pingTimeoutMs) {
        this.remove(c, 'timeout');
      } else if (silent >= this.opts.pingIntervalMs && !c.pingSent) {
        c.pingSent = true;
        this.reply(c, { type: 'ping', token: String(now) });
      }
    }
    if (now - this.lastMaintenance >= MAINTENANCE_EVERY_MS) {
      this.lastMaintenance = now;
      try {
        if (this.opts.historySize > 0) this.store?.pruneHistory(this.opts.historySize);
        this.accounts?.expire();
      } catch (err) {
        this.log('store_error', { during: 'maintenance', error: (err as Error).message });
      }
    }
    this.deliverPrivate(this.privateDesk.tick());
  }

  /** Tell everyone the server is going down and close every connection after that notice. */
  shutdown(reason: string): void {
    const frame = encodeFrame({ type: 'shutdown', reason } satisfies ServerMessage);
    for (const c of this.clients.values()) {
      this.out.send(c.id, frame);
      this.out.close(c.id);
      if (c.account) this.persist(c, 'shutdown', undefined, () => this.accounts?.seen(c.name!, this.clock()));
    }
    this.log('shutdown', { reason, users: this.byName.size });
    this.clients.clear();
    this.byName.clear();
    this.sorted.length = 0;
    this.perIp.clear();
  }

  private hello(c: Client, msg: Extract<ClientMessage, { type: 'hello' }>, now: number): void {
    const ref = msg.ref;
    if (c.name !== undefined) return this.error(c, 'already_registered', `you are already in the room as ${c.name}; use /nick to change name`, { re: 'hello', ref });
    if (msg.version !== PROTOCOL_VERSION) {
      return this.error(c, 'unsupported_version', `this server speaks protocol version ${PROTOCOL_VERSION}, not ${msg.version}; update parley`, { re: 'hello', ref });
    }
    if (c.checking) return this.error(c, 'busy', 'your login is still being checked; wait for the answer', { re: 'hello', ref });
    const accounts = this.accounts;
    // A password or token always means "log in"; without one, a name that needs no password joins as a guest.
    const login = accounts !== undefined && (msg.password !== undefined || msg.token !== undefined || this.lookup(c, 'hello', ref, () => accounts.needsPassword(msg.name)));
    if (login === FAILED) return;
    if (!accounts || !login) {
      if (!this.nameFree(c, msg.name, 'hello', ref)) return;
      return this.join(c, msg.name, now);
    }
    const problem = nameProblem(msg.name);
    if (problem !== null) return this.error(c, 'invalid_name', `"${truncateCodePoints(sanitizeText(msg.name), 40)}" is not a valid name: ${problem}`, { re: 'hello', ref });
    if (msg.token !== undefined) {
      const resumed = this.lookup(c, 'hello', ref, () => accounts.resume(msg.name, msg.token!));
      return resumed === FAILED ? undefined : this.loginChecked(c, resumed, ref);
    }
    if (msg.password === undefined) {
      const why = accounts.mode === 'required' ? 'this server admits registered users only' : `the name ${msg.name} is registered`;
      return this.error(c, 'password_required', `${why}: log in with its password`, { re: 'hello', ref, name: msg.name });
    }
    c.checking = true;
    const id = c.id;
    accounts.login(msg.name, msg.password).then(
      (result) => {
        const still = this.clients.get(id);
        if (still) this.loginChecked(still, result, ref);
        else if (result.ok) this.persist(undefined, 'hello', undefined, () => accounts.endSession(result.token)); // gone while we checked
      },
      (err: unknown) => this.asyncFailed(id, 'hello', ref, err),
    );
  }

  /** The completion of a login: a password check finished, or a token was looked up. */
  private loginChecked(c: Client, result: AuthResult, ref: string | undefined): void {
    c.checking = false;
    if (!result.ok) {
      this.log('login_failed', { conn: c.id, addr: c.addr, code: result.code });
      return this.error(c, result.code, result.message, { re: 'hello', ref, ...(result.seconds !== undefined && { seconds: result.seconds }) });
    }
    const now = this.clock();
    // Only now, with the new login proven, is an older session of the same account closed.
    const older = this.byName.get(foldName(result.name));
    if (older && older !== c) {
      this.error(older, 'session_replaced', `${older.name} logged in from another location; this session is closed`);
      this.remove(older, 'kicked', 'logged in from another location');
    }
    c.account = true;
    c.token = result.token;
    this.join(c, result.name, now);
  }

  /** Put a named client in the room: welcome, history, stored whispers, and a joined notice to the others. */
  private join(c: Client, name: string, now: number): void {
    c.name = name;
    const key = foldName(name);
    const replaced = this.byName.get(key); // a second login to the same account: one name, listed once
    if (replaced?.name !== undefined) this.unlist(replaced.name);
    this.byName.set(key, c);
    this.list(name);
    if (c.account) {
      this.persist(c, 'hello', undefined, () => {
        c.blocks.attach(key);
        this.accounts!.seen(name, now);
      });
    }
    const blocked = c.blocks.list();
    this.reply(c, {
      type: 'welcome',
      version: PROTOCOL_VERSION,
      name,
      users: this.usersFor(c),
      motd: this.opts.motd,
      ...(c.account && { account: true, token: c.token! }),
      ...(blocked.length > 0 && { blocked }),
    });
    this.replay(c);
    if (c.account) this.deliverStored(c, key);
    this.broadcast({ type: 'joined', name, time: now }, c, key);
    this.log('join', { conn: c.id, name, addr: c.addr, account: c.account || undefined });
  }

  private replay(c: Client): void {
    if (this.opts.historySize === 0 || !this.store) return;
    const rows = this.persist(c, 'hello', undefined, () => this.store!.recentHistory(this.opts.historySize));
    if (rows === FAILED) return;
    for (const m of rows) {
      if (c.blocks.has(foldName(m.from))) continue;
      this.backlog(c, { type: 'message', id: m.id, from: m.from, text: m.text, time: m.time, ...(m.action && { action: true }), history: true });
    }
  }

  /** Whispers that arrived while the user was away, with their original time, then forgotten. */
  private deliverStored(c: Client, key: string): void {
    const store = this.store!;
    this.persist(c, 'hello', undefined, () => {
      const mail = store.offlineFor(key);
      if (mail.length === 0) return;
      for (const w of mail) {
        if (c.blocks.has(foldName(w.from))) continue;
        this.backlog(c, { type: 'whisper', id: w.id, from: w.from, to: c.name!, text: w.text, time: w.time, late: true });
      }
      store.dropOffline(key, mail[mail.length - 1]!.id);
      this.log('offline_delivered', { conn: c.id, name: c.name, count: mail.length });
    });
  }

  private register(c: Client, msg: Extract<ClientMessage, { type: 'register' }>): void {
    const ref = msg.ref;
    const accounts = this.accounts;
    if (!accounts) return this.error(c, 'accounts_off', 'this server has no accounts (it runs with --auth off)', { re: 'register', ref });
    if (c.account) return this.error(c, 'name_registered', `you are already logged in to the account ${c.name}`, { re: 'register', ref });
    if (c.checking) return this.error(c, 'busy', 'a registration is already being checked; wait for the answer', { re: 'register', ref });
    c.checking = true;
    const id = c.id;
    const name = c.name!;
    accounts.register(name, msg.password).then(
      (result) => {
        const still = this.clients.get(id);
        if (still) this.registerChecked(still, result, ref);
      },
      (err: unknown) => this.asyncFailed(id, 'register', ref, err),
    );
  }

  private registerChecked(c: Client, result: AuthResult, ref: string | undefined): void {
    c.checking = false;
    if (!result.ok) return this.error(c, result.code, result.message, { re: 'register', ref });
    c.account = true;
    c.token = result.token;
    this.persist(c, 'register', ref, () => c.blocks.attach(foldName(result.name)));
    this.reply(c, { type: 'registered', name: result.name, token: result.token, ...(ref !== undefined && { ref }) });
    this.log('register', { conn: c.id, name: result.name });
  }

  /** A password check threw (not a wrong password: a bug or a broken database). The connection may try again. */
  private asyncFailed(id: ConnId, re: string, ref: string | undefined, err: unknown): void {
    this.log('store_error', { during: re, error: (err as Error).message });
    const c = this.clients.get(id);
    if (!c) return;
    c.checking = false;
    this.error(c, 'server_error', 'the server could not check that password; try again later', { re, ref });
  }

  private say(c: Client, msg: Extract<ClientMessage, { type: 'say' }>, now: number): void {
    const digest = requestDigest(msg.action === true ? 'me' : 'say', '', msg.text);
    const again = msg.ref === undefined ? undefined : this.accepted.get(foldName(c.name!), msg.ref, digest);
    if (again) {
      const event: ServerMessage = { type: 'message', id: again.id, from: c.name!, text: sanitizeText(msg.text), time: again.time, ...(msg.action === true && { action: true }) };
      return this.echo(c, event, msg.ref);
    }
    const text = this.cleanText(c, msg.text, 'say', msg.ref);
    if (text === null) return;
    const id = this.messageId();
    const event: ServerMessage = { type: 'message', id, from: c.name!, text, time: now, ...(msg.action === true && { action: true }) };
    // Stored before anyone sees it: an echoed (acknowledged) message is on disk.
    if (this.opts.historySize > 0 && this.persist(c, 'say', msg.ref, () => this.store!.addHistory({ id, from: c.name!, text, time: now, action: msg.action === true })) === FAILED) return;
    this.broadcast(event, c, foldName(c.name!));
    this.echo(c, event, msg.ref);
    if (msg.ref !== undefined) this.accepted.remember(foldName(c.name!), msg.ref, { digest, id, time: now });
    this.log('message', { conn: c.id, from: c.name, id: event.id, text, action: msg.action === true || undefined });
  }

  private whisper(c: Client, msg: Extract<ClientMessage, { type: 'whisper' }>, now: number): void {
    const digest = requestDigest('whisper', foldName(msg.to), msg.text);
    const again = msg.ref === undefined ? undefined : this.accepted.get(foldName(c.name!), msg.ref, digest);
    if (again) {
      const event: ServerMessage = { type: 'whisper', id: again.id, from: c.name!, to: again.to!, text: sanitizeText(msg.text), time: again.time, ...(again.stored && { stored: true }) };
      return this.echo(c, event, msg.ref);
    }
    const target = this.byName.get(foldName(msg.to));
    const offline = target ? undefined : this.lookup(c, 'whisper', msg.ref, () => this.accounts?.store.user(foldName(msg.to)));
    if (offline === FAILED) return;
    if (!target && !offline) {
      const shown = truncateCodePoints(sanitizeText(msg.to), 40);
      return this.error(c, 'no_such_user', `no one called "${shown}" is here; /list shows who is`, { re: 'whisper', ref: msg.ref, name: shown });
    }
    const text = this.cleanText(c, msg.text, 'whisper', msg.ref);
    if (text === null) return;
    const toName = target ? target.name! : offline!.name;
    const senderKey = foldName(c.name!);
    const blocked = target ? target.blocks.has(senderKey) : this.persist(c, 'whisper', msg.ref, () => this.store!.blocks(offline!.key).some((b) => b.key === senderKey));
    if (blocked === FAILED) return;
    if (blocked) {
      // The same words whether the target is online or not: the sender learns nothing more.
      this.log('whisper_blocked', { conn: c.id, from: c.name, to: toName });
      return this.error(c, 'not_delivered', `your whisper to ${toName} was not delivered`, { re: 'whisper', ref: msg.ref, name: toName });
    }
    const event: ServerMessage = { type: 'whisper', id: this.messageId(), from: c.name!, to: toName, text, time: now };
    if (target) {
      if (target !== c) this.out.send(target.id, encodeFrame(event));
      this.echo(c, event, msg.ref);
    } else {
      const stored = this.persist(c, 'whisper', msg.ref, () => {
        if (this.store!.offlineCount(offline!.key) >= MAX_OFFLINE_PER_USER) return false;
        this.store!.addOffline(offline!.key, { id: event.id, from: c.name!, to: toName, text, time: now });
        return true;
      });
      if (stored === FAILED) return;
      if (!stored) {
        return this.error(c, 'mailbox_full', `${toName} is offline and already has ${MAX_OFFLINE_PER_USER} whispers waiting; try again after they log in`, {
          re: 'whisper',
          ref: msg.ref,
          name: toName,
        });
      }
      this.echo(c, { ...event, stored: true }, msg.ref);
    }
    if (msg.ref !== undefined) this.accepted.remember(senderKey, msg.ref, { digest, id: event.id, time: now, to: toName, ...(!target && { stored: true }) });
    this.log('whisper', { conn: c.id, from: c.name, to: toName, id: event.id, stored: !target || undefined, ...(this.opts.logWhisperText && { text }) });
  }

  private nick(c: Client, msg: Extract<ClientMessage, { type: 'nick' }>, now: number): void {
    const old = c.name!;
    if (msg.name === old) return this.error(c, 'invalid_name', `you are already called ${old}`, { re: 'nick', ref: msg.ref });
    // A change of case only (alice -> Alice) keeps the same key, so it cannot collide with anyone.
    const sameKey = foldName(msg.name) === foldName(old);
    if (!this.nameFree(c, msg.name, 'nick', msg.ref, sameKey)) return;
    if (!sameKey && this.accounts) {
      if (c.checking) return this.error(c, 'busy', 'wait until your registration is checked', { re: 'nick', ref: msg.ref });
      if (c.account) return this.error(c, 'name_registered', `you are logged in as ${old}; an account's name is fixed (a change of case is fine)`, { re: 'nick', ref: msg.ref });
      const registered = this.lookup(c, 'nick', msg.ref, () => this.accounts!.isRegistered(msg.name));
      if (registered === FAILED) return;
      if (registered) {
        return this.error(c, 'name_registered', `${msg.name} is a registered name; to use it, reconnect as ${msg.name} with its password`, { re: 'nick', ref: msg.ref, name: msg.name });
      }
    }
    this.byName.delete(foldName(old));
    this.unlist(old);
    c.name = msg.name;
    this.byName.set(foldName(msg.name), c);
    this.list(c.name);
    const event: ServerMessage = { type: 'renamed', old, new: c.name, time: now };
    this.broadcast(event, c, foldName(old));
    this.echo(c, event, msg.ref);
    // Renaming must not be a way out of a block.
    for (const other of this.byName.values()) {
      if (other.blocks.has(foldName(old))) this.persist(other, 'nick', undefined, () => other.blocks.rename(old, c.name!));
    }
    this.log('rename', { conn: c.id, old, new: c.name });
  }

  private whoelse(c: Client, msg: Extract<ClientMessage, { type: 'whoelse' }>, now: number): void {
    const entries: SeenEntry[] = [];
    for (const other of this.byName.values()) {
      if (other !== c && !c.blocks.has(foldName(other.name!))) entries.push({ name: other.name!, online: true });
    }
    entries.sort((a, b) => compareNames(a.name, b.name));
    if (msg.since !== undefined && this.accounts) {
      const since = now - Math.min(msg.since, now / 1000) * 1000;
      const seen = this.persist(c, 'whoelse', msg.ref, () => this.accounts!.store.seenSince(since));
      if (seen === FAILED) return;
      for (const s of seen) {
        const key = foldName(s.name);
        if (this.byName.has(key) || c.blocks.has(key)) continue;
        entries.push({ name: s.name, online: false, lastSeen: s.lastSeen });
      }
    }
    this.reply(c, {
      type: 'seen',
      users: entries.slice(0, MAX_SEEN_ENTRIES),
      ...(msg.since !== undefined && { since: msg.since }),
      ...(msg.ref !== undefined && { ref: msg.ref }),
    });
  }

  private block(c: Client, msg: Extract<ClientMessage, { type: 'block' }>): void {
    const ref = msg.ref;
    if (msg.name !== undefined) {
      const problem = nameProblem(msg.name);
      if (problem !== null) return this.error(c, 'invalid_name', `"${truncateCodePoints(sanitizeText(msg.name), 40)}" is not a valid name: ${problem}`, { re: 'block', ref });
      const key = foldName(msg.name);
      if (key === foldName(c.name!)) return this.error(c, 'invalid_name', 'you cannot block yourself', { re: 'block', ref });
      const name = this.byName.get(key)?.name ?? this.lookup(c, 'block', ref, () => this.accounts?.store.user(key)?.name);
      if (name === FAILED) return;
      if (name === undefined) return this.error(c, 'no_such_user', `no one called ${msg.name} is here or registered`, { re: 'block', ref, name: msg.name });
      if (!c.blocks.has(key) && c.blocks.size >= MAX_BLOCKS) return this.error(c, 'too_many_blocks', `you can block at most ${MAX_BLOCKS} names; /unblock some first`, { re: 'block', ref });
      if (this.persist(c, 'block', ref, () => c.blocks.add(name)) === FAILED) return;
      this.log('block', { conn: c.id, name: c.name, blocked: name });
    }
    this.reply(c, { type: 'blocks', names: c.blocks.list(), ...(ref !== undefined && { ref }) });
  }

  private unblock(c: Client, msg: Extract<ClientMessage, { type: 'unblock' }>): void {
    const removed = this.persist(c, 'unblock', msg.ref, () => c.blocks.remove(msg.name));
    if (removed === FAILED) return;
    if (!removed) {
      const shown = truncateCodePoints(sanitizeText(msg.name), 40);
      return this.error(c, 'no_such_user', `you are not blocking "${shown}"`, { re: 'unblock', ref: msg.ref, name: shown });
    }
    this.reply(c, { type: 'blocks', names: c.blocks.list(), ...(msg.ref !== undefined && { ref: msg.ref }) });
  }

  /** The next message id; with a store, ids are never reused across restarts. */
  private messageId(): number {
    const id = this.nextId++;
    if (this.store) this.persist(undefined, 'message_id', undefined, () => this.store!.reserveId(id));
    return id;
  }

  /**
   * Run a store operation. A failure (disk full, file removed) is logged and, when `c` is given, reported
   * to that user as server_error; the result is then FAILED and the caller drops the request.
   */
  private persist<T>(c: Client | undefined, re: string, ref: string | undefined, work: () => T): T | typeof FAILED {
    try {
      return work();
    } catch (err) {
      this.log('store_error', { during: re, conn: c?.id, error: (err as Error).message });
      if (c) this.error(c, 'server_error', 'the server could not save that; it was not sent — try again later', { re, ref });
      return FAILED;
    }
  }

  /**
   * A store read for `c` (is this name registered? is that user offline?). These run inside the socket's
   * data handler, so a failing disk used to throw through to the crash handler and take the whole server
   * down; now the requester gets server_error and everyone else goes on.
   */
  private lookup<T>(c: Client, re: string, ref: string | undefined, work: () => T): T | typeof FAILED {
    try {
      return work();
    } catch (err) {
      this.log('store_error', { during: re, conn: c.id, error: (err as Error).message });
      this.error(c, 'server_error', 'the server could not read its database; try again later', { re, ref });
      return FAILED;
    }
  }

  private nameFree(c: Client, name: string, re: string, ref: string | undefined, ownKey = false): boolean {
    const problem = nameProblem(name);
    if (problem !== null) {
      this.error(c, 'invalid_name', `"${truncateCodePoints(sanitizeText(name), 40)}" is not a valid name: ${problem}`, { re, ref });
      return false;
    }
    if (!ownKey && this.byName.has(foldName(name))) {
      this.error(c, 'name_taken', `the name ${name} is taken; pick another`, { re, ref, name });
      return false;
    }
    return true;
  }

  /** Sanitised text, or null after telling the sender why it was refused. */
  private cleanText(c: Client, raw: string, re: string, ref: string | undefined): string | null {
    const checked = checkText(raw);
    if (checked.ok) return checked.text;
    this.error(c, checked.code, checked.message, { re, ref });
    return null;
  }

  private spend(c: Client, now: number, ref: string | undefined): boolean {
    if (this.opts.ratePerSecond <= 0 || c.bucket.take(now)) return true;
    this.error(c, 'rate_limited', `slow down: at most ${this.opts.rateBurst} requests at once, then ${this.opts.ratePerSecond} per second; this one was dropped`, { ref });
    return false;
  }

  private remove(c: Client, reason: LeaveReason, why?: string): void {
    const privateEnded = c.name === undefined ? [] : this.privateDesk.drop(c.id); // while c's name is still known
    this.clients.delete(c.id);
    const left = (this.perIp.get(c.ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(c.ip, left);
    else this.perIp.delete(c.ip);
    this.out.close(c.id);
    if (c.name !== undefined) {
      const key = foldName(c.name);
      // A session replaced by a newer login is no longer the one under this name.
      if (this.byName.get(key) === c) {
        this.byName.delete(key);
        this.unlist(c.name);
      }
      if (c.account) this.persist(undefined, 'leave', undefined, () => this.accounts?.seen(c.name!, this.clock()));
      this.broadcast({ type: 'left', name: c.name, reason, ...(why !== undefined && why !== '' && { message: why }), time: this.clock() }, c, key);
      this.deliverPrivate(privateEnded);
    }
    this.log('leave', { conn: c.id, addr: c.addr, name: c.name, reason: REASON_TEXT[reason], why });
  }

  /** Frames from the private-chat desk. The log names the step, never the secret or an address. */
  private deliverPrivate(deliveries: Delivery[]): void {
    for (const { to, msg } of deliveries) {
      this.out.send(to, encodeFrame(msg));
      if (msg.type === 'error') this.log('error', { conn: to, name: this.clients.get(to)?.name, code: msg.code, re: msg.re });
      else this.log('private', { conn: to, step: msg.type, reason: msg.type === 'private_end' ? msg.reason : undefined });
    }
  }

  /** Encode once; the same bytes go to every registered client but `except` and those who block `fromKey`. */
  private broadcast(event: ServerMessage, except?: Client, fromKey?: string): void {
    const frame = encodeFrame(event);
    for (const other of this.byName.values()) {
      if (other !== except && !(fromKey !== undefined && other.blocks.has(fromKey))) this.out.send(other.id, frame);
    }
  }

  /** The sender's own copy, carrying its ref so it can mark that message accepted. */
  private echo(c: Client, event: ServerMessage, ref: string | undefined): void {
    this.out.send(c.id, encodeFrame(ref === undefined ? event : { ...event, ref }));
  }

  private reply(c: Client, msg: ServerMessage): void {
    this.out.send(c.id, encodeFrame(msg));
  }

  /**
   * History and stored whispers at login arrive all at once and are bounded by their own limits (--history,
   * MAX_OFFLINE_PER_USER): they must not count against the send-queue cap, or whoever fills a mailbox
   * could get its owner dropped at every login.
   */
  private backlog(c: Client, msg: ServerMessage): void {
    this.out.send(c.id, encodeFrame(msg), true);
  }

  private error(c: Client, code: ErrorCode, message: string, extra: ErrorExtra = {}): void {
    this.out.send(c.id, encodeFrame(errorFrame(code, message, extra)));
    this.log('error', { conn: c.id, name: c.name, code, re: extra.re });
  }
}

type ErrorExtra = { re?: string | undefined; ref?: string | undefined; name?: string; seconds?: number };

function errorFrame(code: ErrorCode, message: string, extra: ErrorExtra = {}): ServerMessage {
  return {
    type: 'error',
    code,
    message,
    ...(extra.re !== undefined && { re: extra.re }),
    ...(extra.ref !== undefined && { ref: extra.ref }),
    ...(extra.name !== undefined && { name: extra.name }),
    ...(extra.seconds !== undefined && { seconds: extra.seconds }),
  };
}
