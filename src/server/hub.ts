import { encodeFrame } from '../wire/frame.js';
import {
  MAX_CONNECTIONS_PER_IP,
  MAX_REASON_CHARS,
  MAX_TEXT_CHARS,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  PROTOCOL_VERSION,
  RATE_BURST,
  RATE_PER_SECOND,
  REGISTRATION_TIMEOUT_MS,
} from '../wire/limits.js';
import type { ClientMessage, ErrorCode, LeaveReason, ServerMessage } from '../wire/messages.js';
import { parseClientMessage } from '../wire/messages.js';
import { compareNames, foldName, nameProblem } from '../wire/names.js';
import { codePointLength, sanitizeText, truncateCodePoints } from '../wire/sanitize.js';
import { TokenBucket } from '../wire/ratelimit.js';
import { dialableAddress } from '../wire/direct.js';
import { PrivateDesk, type Delivery, type PrivateDeskOptions } from './private.js';

// The room as plain data: who is connected, under which name, and where each frame goes. No sockets and
// no timers: the host feeds it lines and calls tick(); it answers through the Outbox. Tests drive it directly.

export type ConnId = number;

export interface Outbox {
  /** Queue bytes for one connection. The same Buffer may be handed to many connections. */
  send(conn: ConnId, frame: Buffer): void;
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
}

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
  private nextId = 1;
  private readonly clock: () => number;
  private readonly log: HubLog;
  private readonly opts: Required<Omit<HubOptions, 'clock' | 'log' | 'privateChat'>>;
  private readonly privateDesk: PrivateDesk;

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
    };
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
   * Whether `from` may ask `to` for a direct private chat. The one place a refusal by the target's
   * settings belongs: accounts/blocking makes this return false when `to` has blocked `from`.
   */
  protected mayAskPrivate(_from: Client, _to: Client): boolean {
    return true;
  }

  /** Names in the room, sorted case-insensitively. */
  users(): string[] {
    return [...this.byName.values()].map((c) => c.name!).sort(compareNames);
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
        return this.reply(c, { type: 'users', users: this.users(), ...(msg.ref !== undefined && { ref: msg.ref }) });
      case 'private':
      case 'allow':
      case 'deny':
      case 'private_port':
      case 'private_end':
        return this.deliverPrivate(this.privateDesk.handle(c.id, msg));
      case 'quit':
        return this.remove(c, 'quit', msg.reason === undefined ? undefined : truncateCodePoints(sanitizeText(msg.reason), MAX_REASON_CHARS));
    }
  }

  /** The decoder dropped a line (too long, not UTF-8). The connection goes on. */
  frameError(id: ConnId, code: 'frame_too_large' | 'invalid_utf8'): void {
    const c = this.clients.get(id);
    if (!c) return;
    c.lastHeard = this.clock();
    const message = code === 'frame_too_large' ? 'frame dropped: a line may be at most 8192 bytes' : 'frame dropped: it is not valid UTF-8';
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
    for (const c of this.clients.values()) {
      if (c.name === undefined) {
        if (now - c.connectedAt >= this.opts.registrationTimeoutMs) {
          this.error(c, 'registration_timeout', `no hello within ${Math.round(this.opts.registrationTimeoutMs / 1000)} s; closing`);
          this.remove(c, 'timeout');
        }
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
    this.deliverPrivate(this.privateDesk.tick());
  }

  /** Tell everyone the server is going down and close every connection after that notice. */
  shutdown(reason: string): void {
    const frame = encodeFrame({ type: 'shutdown', reason } satisfies ServerMessage);
    for (const c of this.clients.values()) {
      this.out.send(c.id, frame);
      this.out.close(c.id);
    }
    this.log('shutdown', { reason, users: this.byName.size });
    this.clients.clear();
    this.byName.clear();
    this.perIp.clear();
  }

  private hello(c: Client, msg: Extract<ClientMessage, { type: 'hello' }>, now: number): void {
    const ref = msg.ref;
    if (c.name !== undefined) return this.error(c, 'already_registered', `you are already in the room as ${c.name}; use /nick to change name`, { re: 'hello', ref });
    if (msg.version !== PROTOCOL_VERSION) {
      return this.error(c, 'unsupported_version', `this server speaks protocol version ${PROTOCOL_VERSION}, not ${msg.version}; update parley`, { re: 'hello', ref });
    }
    if (!this.nameFree(c, msg.name, 'hello', ref)) return;
    c.name = msg.name;
    this.byName.set(foldName(msg.name), c);
    this.reply(c, { type: 'welcome', version: PROTOCOL_VERSION, name: c.name, users: this.users(), motd: this.opts.motd });
    this.broadcast({ type: 'joined', name: c.name, time: now }, c);
    this.log('join', { conn: c.id, name: c.name, addr: c.addr });
  }

  private say(c: Client, msg: Extract<ClientMessage, { type: 'say' }>, now: number): void {
    const text = this.cleanText(c, msg.text, 'say', msg.ref);
    if (text === null) return;
    const event: ServerMessage = { type: 'message', id: this.nextId++, from: c.name!, text, time: now, ...(msg.action === true && { action: true }) };
    this.broadcast(event, c);
    this.echo(c, event, msg.ref);
    this.log('message', { conn: c.id, from: c.name, id: event.id, text, action: msg.action === true || undefined });
  }

  private whisper(c: Client, msg: Extract<ClientMessage, { type: 'whisper' }>, now: number): void {
    const target = this.byName.get(foldName(msg.to));
    if (!target) {
      const shown = truncateCodePoints(sanitizeText(msg.to), 40);
      return this.error(c, 'no_such_user', `no one called "${shown}" is here; /list shows who is`, { re: 'whisper', ref: msg.ref, name: shown });
    }
    const text = this.cleanText(c, msg.text, 'whisper', msg.ref);
    if (text === null) return;
    const event: ServerMessage = { type: 'whisper', id: this.nextId++, from: c.name!, to: target.name!, text, time: now };
    if (target !== c) this.out.send(target.id, encodeFrame(event));
    this.echo(c, event, msg.ref);
    this.log('whisper', { conn: c.id, from: c.name, to: target.name, id: event.id, ...(this.opts.logWhisperText && { text }) });
  }

  private nick(c: Client, msg: Extract<ClientMessage, { type: 'nick' }>, now: number): void {
    const old = c.name!;
    if (msg.name === old) return this.error(c, 'invalid_name', `you are already called ${old}`, { re: 'nick', ref: msg.ref });
    // A change of case only (alice -> Alice) keeps the same key, so it cannot collide with anyone.
    const sameKey = foldName(msg.name) === foldName(old);
    if (!this.nameFree(c, msg.name, 'nick', msg.ref, sameKey)) return;
    this.byName.delete(foldName(old));
    c.name = msg.name;
    this.byName.set(foldName(msg.name), c);
    const event: ServerMessage = { type: 'renamed', old, new: c.name, time: now };
    this.broadcast(event, c);
    this.echo(c, event, msg.ref);
    this.log('rename', { conn: c.id, old, new: c.name });
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
    const text = sanitizeText(raw);
    if (text === '') {
      this.error(c, 'empty_text', 'nothing to send once control characters are removed', { re, ref });
      return null;
    }
    const length = codePointLength(text);
    if (length > MAX_TEXT_CHARS) {
      this.error(c, 'text_too_long', `a message may be at most ${MAX_TEXT_CHARS} characters; this one has ${length}`, { re, ref });
      return null;
    }
    return text;
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
      this.byName.delete(foldName(c.name));
      this.broadcast({ type: 'left', name: c.name, reason, ...(why !== undefined && why !== '' && { message: why }), time: this.clock() }, c);
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

  /** Encode once; the same bytes go to every registered client but `except`. */
  private broadcast(event: ServerMessage, except?: Client): void {
    const frame = encodeFrame(event);
    for (const other of this.byName.values()) if (other !== except) this.out.send(other.id, frame);
  }

  /** The sender's own copy, carrying its ref so it can mark that message accepted. */
  private echo(c: Client, event: ServerMessage, ref: string | undefined): void {
    this.out.send(c.id, encodeFrame(ref === undefined ? event : { ...event, ref }));
  }

  private reply(c: Client, msg: ServerMessage): void {
    this.out.send(c.id, encodeFrame(msg));
  }

  private error(c: Client, code: ErrorCode, message: string, extra: { re?: string | undefined; ref?: string | undefined; name?: string } = {}): void {
    this.out.send(c.id, encodeFrame(errorFrame(code, message, extra)));
    this.log('error', { conn: c.id, name: c.name, code, re: extra.re });
  }
}

function errorFrame(code: ErrorCode, message: string, extra: { re?: string | undefined; ref?: string | undefined; name?: string } = {}): ServerMessage {
  return {
    type: 'error',
    code,
    message,
    ...(extra.re !== undefined && { re: extra.re }),
    ...(extra.ref !== undefined && { ref: extra.ref }),
    ...(extra.name !== undefined && { name: extra.name }),
  };
}
