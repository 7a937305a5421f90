import { randomBytes } from 'node:crypto';
import { newLinkId, newSecret, type Random } from '../wire/direct.js';
import {
  MAX_PRIVATE_ASKS,
  PRIVATE_ASK_TIMEOUT_MS,
  PRIVATE_ASK_WINDOW_MS,
  PRIVATE_ASKS_PER_PAIR,
  PRIVATE_ASKS_PER_TARGET,
  PRIVATE_RETRY_AFTER_DENY_MS,
  PRIVATE_SETUP_TIMEOUT_MS,
} from '../wire/limits.js';
import { BucketTable } from './sources.js';
import type { ErrorCode, PrivateClientMessage, PrivateEndReason, ServerMessage } from '../wire/messages.js';
import { sanitizeText, truncateCodePoints } from '../wire/sanitize.js';
import { foldName } from '../wire/names.js';

// The server's part of direct private chat, as a pure state machine: who asked whom, who consented, and
// the hand-over of a one-time secret and the asker's address. It knows users only by connection id; the
// hub gives it lookups and delivers what it returns. No address leaves here before consent, and the secret
// is forgotten once both sides have it. PROTOCOL.md §10 describes the exchange.

export type UserId = number;

export interface PrivateDeskOptions {
  clock?: () => number;
  random?: Random;
  askTimeoutMs?: number;
  setupTimeoutMs?: number;
  retryAfterDenyMs?: number;
  maxAsks?: number;
}

/** What the desk needs to know about the room; the hub provides it. */
export interface PrivateRoom {
  idOf(name: string): UserId | undefined;
  nameOf(id: UserId): string;
  /** The address the server sees this user connect from: the one a peer can reach it at. */
  addressOf(id: UserId): string;
  /** Whether `from` may ask `to` at all (blocking plugs in here). */
  mayAsk(from: UserId, to: UserId): boolean;
  /**
   * Who a user is beyond this connection: keys for its name and its source address. Cool-downs and
   * request limits are kept by these, so reconnecting (or renaming) does not reset them.
   */
  identityOf(id: UserId): string[];
}

export interface Delivery {
  to: UserId;
  msg: ServerMessage;
}

/** A request or link between two users. At most one exists per pair. */
interface Pairing {
  link: string;
  asker: UserId;
  target: UserId;
  /** asked: waiting for consent; allowed: waiting for the asker's port; handed: both have what they need. */
  state: 'asked' | 'allowed' | 'handed';
  since: number;
  /** Held only between consent and hand-over. */
  secret?: string;
}

export class PrivateDesk {
  private readonly pairs = new Map<string, Pairing>();
  /** `askerIdentity>targetName` → when the asker may ask again after being denied. */
  private readonly cooldown = new Map<string, number>();
  /** Requests per (asker identity, target name) and per target name: a victim's bell is not a toy. */
  private readonly pairAsks = new BucketTable(PRIVATE_ASKS_PER_PAIR, PRIVATE_ASKS_PER_PAIR / (PRIVATE_ASK_WINDOW_MS / 1000));
  private readonly targetAsks = new BucketTable(PRIVATE_ASKS_PER_TARGET, PRIVATE_ASKS_PER_TARGET / (PRIVATE_ASK_WINDOW_MS / 1000));
  private readonly clock: () => number;
  private readonly random: Random;
  private readonly o: Required<Omit<PrivateDeskOptions, 'clock' | 'random'>>;

  constructor(
    private readonly room: PrivateRoom,
    options: PrivateDeskOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? randomBytes;
    this.o = {
      askTimeoutMs: options.askTimeoutMs ?? PRIVATE_ASK_TIMEOUT_MS,
      setupTimeoutMs: options.setupTimeoutMs ?? PRIVATE_SETUP_TIMEOUT_MS,
      retryAfterDenyMs: options.retryAfterDenyMs ?? PRIVATE_RETRY_AFTER_DENY_MS,
      maxAsks: options.maxAsks ?? MAX_PRIVATE_ASKS,
    };
  }

  /** Pairings in progress or handed over (for tests and the log). */
  get size(): number {
    return this.pairs.size;
  }

  /** One private-chat request from registered user `from`. */
  handle(from: UserId, msg: PrivateClientMessage): Delivery[] {
    switch (msg.type) {
      case 'private':
        return this.ask(from, msg.to, msg.ref);
      case 'allow':
        return this.allow(from, msg.name, msg.ref);
      case 'deny':
        return this.deny(from, msg.name, msg.ref);
      case 'private_port':
        return this.port(from, msg.link, msg.port, msg.ref);
      case 'private_end':
        return this.end(from, msg.name, msg.reason);
    }
  }

  /** A user left the room: everything they were part of ends, and the other side is told. */
  drop(id: UserId): Delivery[] {
    const out: Delivery[] = [];
    for (const [k, p] of this.pairs) {
      if (p.asker !== id && p.target !== id) continue;
      this.pairs.delete(k);
      const other = p.asker === id ? p.target : p.asker;
      out.push(this.ended(other, id, 'left'));
    }
    // Cool-downs stay: they are kept by name and address, and lapse in tick().
    return out;
  }

  /** Requests that got no answer, and consents whose asker never reported a port, lapse. */
  tick(): Delivery[] {
    const now = this.clock();
    const out: Delivery[] = [];
    for (const [k, p] of this.pairs) {
      const limit = p.state === 'asked' ? this.o.askTimeoutMs : p.state === 'allowed' ? this.o.setupTimeoutMs : Infinity;
      if (now - p.since < limit) continue;
      this.pairs.delete(k);
      out.push(this.ended(p.asker, p.target, 'timeout'), this.ended(p.target, p.asker, 'timeout'));
    }
    for (const [k, until] of this.cooldown) if (now >= until) this.cooldown.delete(k);
    return out;
  }

  private ask(from: UserId, name: string, ref: string | undefined): Delivery[] {
    const fail = this.failer(from, 'private', ref);
    const to = this.room.idOf(name);
    if (to === undefined) return fail('no_such_user', `no one called "${shown(name)}" is here; /list shows who is`, shown(name));
    const toName = this.room.nameOf(to);
    if (to === from) return fail('private_refused', 'you cannot open a private chat with yourself', toName);
    if (!this.room.mayAsk(from, to)) return fail('private_refused', `${toName} is not taking private-chat requests from you`, toName);
    const existing = this.pairs.get(pairKey(from, to));
    if (existing) {
      // They asked us first: asking back is consent.
      if (existing.state === 'asked' && existing.target === from) return this.consent(existing);
      const what = existing.state === 'asked' ? 'a private-chat request is already waiting' : 'a private chat is already set up';
      return fail('already_private', `${what} between you and ${toName}; /stopprivate ${toName} ends it`, toName);
    }
    const now = this.clock();
    const targetKey = foldName(toName);
    const pairs = this.room.identityOf(from).map((who) => `${who}>${targetKey}`);
    const until = Math.max(0, ...pairs.map((k) => this.cooldown.get(k) ?? 0));
    if (now < until) {
      return fail('private_refused', `${toName} declined; you can ask again in ${Math.ceil((until - now) / 1000)} s`, toName);
    }
    const window = Math.round(PRIVATE_ASK_WINDOW_MS / 1000);
    if (pairs.some((k) => this.pairAsks.waitMs(k, now) > 0)) {
      return fail('slow_down', `you have asked ${toName} ${PRIVATE_ASKS_PER_PAIR} times within ${window} s; wait before asking again`, toName);
    }
    if (this.targetAsks.waitMs(targetKey, now) > 0) {
      return fail('slow_down', `${toName} has had ${PRIVATE_ASKS_PER_TARGET} private-chat requests within ${window} s; try again later`, toName);
    }
    let waiting = 0;
    for (const p of this.pairs.values()) if (p.asker === from && p.state === 'asked') waiting++;
    if (waiting >= this.o.maxAsks) {
      return fail('private_refused', `you have ${waiting} private-chat requests waiting for an answer; wait for one or /stopprivate it`, toName);
    }
    for (const k of pairs) this.pairAsks.take(k, now);
    this.targetAsks.take(targetKey, now);
    this.pairs.set(pairKey(from, to), { link: newLinkId(this.random), asker: from, target: to, state: 'asked', since: now });
    return [
      // The asker's address goes with the question: asking is the asker's consent to be dialled, and the
      // target sees where its client would connect before it allows (PROTOCOL.md §10.5).
      { to, msg: { type: 'private_request', from: this.room.nameOf(from), time: now, host: this.room.addressOf(from) } },
      { to: from, msg: { type: 'private_asked', to: toName, ...(ref !== undefined && { ref }) } },
    ];
  }

  private allow(by: UserId, name: string, ref: string | undefined): Delivery[] {
    const p = this.requestTo(by, name);
    if (!p) return this.notAsked(by, name, 'allow', ref);
    return this.consent(p);
  }

  /** Consent given: the asker gets the secret and is told to listen. The target learns nothing yet. */
  private consent(p: Pairing): Delivery[] {
    p.state = 'allowed';
    p.since = this.clock();
    p.secret = newSecret(this.random);
    return [{ to: p.asker, msg: { type: 'private_listen', with: this.room.nameOf(p.target), link: p.link, secret: p.secret } }];
  }

  private deny(by: UserId, name: string, ref: string | undefined): Delivery[] {
    const p = this.requestTo(by, name);
    if (!p) return this.notAsked(by, name, 'deny', ref);
    this.pairs.delete(pairKey(p.asker, p.target));
    const targetKey = foldName(this.room.nameOf(p.target));
    for (const who of this.room.identityOf(p.asker)) this.cooldown.set(`${who}>${targetKey}`, this.clock() + this.o.retryAfterDenyMs);
    return [this.ended(p.asker, p.target, 'denied')];
  }

  /** The asker is listening: the target gets the address, port and secret; the server forgets the secret. */
  private port(by: UserId, link: string, port: number, ref: string | undefined): Delivery[] {
    const p = [...this.pairs.values()].find((x) => x.link === link && x.asker === by && x.state === 'allowed');
    if (!p) return this.failer(by, 'private_port', ref)('no_such_request', 'no private chat is waiting for your port (it may have lapsed)');
    const secret = p.secret!;
    p.state = 'handed';
    p.since = this.clock();
    delete p.secret;
    const host = this.room.addressOf(p.asker);
    return [{ to: p.target, msg: { type: 'private_connect', with: this.room.nameOf(p.asker), link: p.link, secret, host, port } }];
  }

  /**
   * Either side stops, withdraws, or reports that the link failed. Silently nothing when there is no
   * pairing: both ends of a dropped link report it, and only the first finds one.
   */
  private end(by: UserId, name: string, reason: PrivateEndReason): Delivery[] {
    const other = this.room.idOf(name);
    if (other === undefined) return [];
    const p = this.pairs.get(pairKey(by, other));
    if (!p) return [];
    if (p.state === 'asked' && p.target === by) return this.deny(by, name, undefined);
    this.pairs.delete(pairKey(by, other));
    return [this.ended(other, by, p.state === 'asked' ? 'cancelled' : reason)];
  }

  /** The request `name` made to `by`, still waiting for an answer. */
  private requestTo(by: UserId, name: string): Pairing | undefined {
    const asker = this.room.idOf(name);
    if (asker === undefined) return undefined;
    const p = this.pairs.get(pairKey(asker, by));
    return p && p.state === 'asked' && p.target === by ? p : undefined;
  }

  private notAsked(by: UserId, name: string, re: string, ref: string | undefined): Delivery[] {
    return this.failer(by, re, ref)('no_such_request', `${shown(name)} has not asked you for a private chat (or the request lapsed)`, shown(name));
  }

  private ended(to: UserId, peer: UserId, reason: PrivateEndReason): Delivery {
    return { to, msg: { type: 'private_end', with: this.room.nameOf(peer), reason, time: this.clock() } };
  }

  private failer(to: UserId, re: string, ref: string | undefined) {
    return (code: ErrorCode, message: string, name?: string): Delivery[] => [
      {
        to,
        msg: { type: 'error', code, message, re, ...(ref !== undefined && { ref }), ...(name !== undefined && { name }) },
      },
    ];
  }
}

function pairKey(a: UserId, b: UserId): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/** A name as typed by someone, safe to echo back in an error. */
function shown(name: string): string {
  return truncateCodePoints(sanitizeText(name), 40);
}
