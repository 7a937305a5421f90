import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DIRECT_SECRET_BYTES, MAX_REASON_CHARS, MAX_REF_CHARS } from './limits.js';
import { deriveDirectKeys } from './direct-records.js';
import { num, optStr, parseWith, str, type Check, type Obj, type Parsed } from './messages.js';

// The direct link between two clients (PROTOCOL.md §10). Same framing as the server link (newline-delimited
// JSON through FrameDecoder), its own small set of messages, and a handshake in which each side proves it
// holds the one-time secret the server issued, without ever sending the secret: HMAC-SHA256 over fresh
// nonces from both sides, with the role in the MAC input so one side's proof can never be replayed as the
// other's. The handshake here is pure (randomness injected) and the socket code lives in the client.

export const DIRECT_VERSION = 1;

export type DirectMessage =
  /** Connector → listener, first frame: which link, and the connector's nonce. */
  | { type: 'hello'; version: number; link: string; nonce: string }
  /** Listener → connector: its nonce, and its proof over both nonces. */
  | { type: 'challenge'; nonce: string; proof: string }
  /** Connector → listener: its proof over both nonces. */
  | { type: 'proof'; proof: string }
  /** Listener → connector: authenticated; the link is open. */
  | { type: 'ready' }
  /** A whisper, numbered per sender so the other side can acknowledge it. */
  | { type: 'whisper'; n: number; text: string }
  | { type: 'ack'; n: number }
  /** The peer refused a frame (`n` names the whisper, when it was one). */
  | { type: 'error'; code: string; message: string; n?: number }
  | { type: 'ping'; token?: string }
  | { type: 'pong'; token?: string }
  /** Closing on purpose: the peer stopped the chat or is leaving. */
  | { type: 'bye'; reason?: string };

export type DirectType = DirectMessage['type'];

/** 32 random bytes in base64url: 43 characters. Secrets, nonces and proofs all have this shape. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Link ids: 16 random bytes in base64url. */
const LINK_PATTERN = /^[A-Za-z0-9_-]{22}$/;

const key = (o: Obj, k: string) => (typeof o[k] === 'string' && KEY_PATTERN.test(o[k] as string) ? null : `"${k}" must be 43 base64url characters`);
const seq = (o: Obj, k: string) => (Number.isSafeInteger(o[k]) && (o[k] as number) >= 1 ? null : `"${k}" must be a whole number from 1`);

const DIRECT_CHECKS: Record<DirectType, Check[]> = {
  hello: [(o) => num(o, 'version'), (o) => (typeof o.link === 'string' && LINK_PATTERN.test(o.link) ? null : '"link" is not a link id'), (o) => key(o, 'nonce')],
  challenge: [(o) => key(o, 'nonce'), (o) => key(o, 'proof')],
  proof: [(o) => key(o, 'proof')],
  ready: [],
  whisper: [(o) => seq(o, 'n'), (o) => str(o, 'text')],
  ack: [(o) => seq(o, 'n')],
  error: [(o) => str(o, 'code'), (o) => str(o, 'message')],
  ping: [(o) => optStr(o, 'token', MAX_REF_CHARS)],
  pong: [(o) => optStr(o, 'token', MAX_REF_CHARS)],
  bye: [(o) => optStr(o, 'reason', MAX_REASON_CHARS)],
};

/** Validate one frame from the peer of a direct link. */
export function parseDirectMessage(line: string): Parsed<DirectMessage> {
  return parseWith<DirectMessage>(line, DIRECT_CHECKS);
}

export type Random = (bytes: number) => Buffer;

/** A fresh one-time secret (server side). */
export function newSecret(random: Random = randomBytes): string {
  return random(DIRECT_SECRET_BYTES).toString('base64url');
}

/** A fresh link id (server side): names the link in the handshake so a proof for one link is useless on another. */
export function newLinkId(random: Random = randomBytes): string {
  return random(16).toString('base64url');
}

export function isSecret(s: string): boolean {
  return KEY_PATTERN.test(s);
}

export function isLinkId(s: string): boolean {
  return LINK_PATTERN.test(s);
}

/** An address a peer can dial: IPv4 peers of a dual-stack socket appear as `::ffff:a.b.c.d`. */
export function dialableAddress(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export type Role = 'listener' | 'connector';

/**
 * What `role` proves: HMAC-SHA256 keyed with the secret over a label, the role, the link and both nonces
 * (always the connector's first). Both nonces are fresh per attempt, so a recorded proof is worthless later;
 * the role makes the listener's proof useless as the connector's (no reflection).
 */
export function proofFor(secret: string, role: Role, link: string, connectorNonce: string, listenerNonce: string): string {
  return createHmac('sha256', Buffer.from(secret, 'base64url'))
    .update(`parley-direct-v${DIRECT_VERSION}\0${role}\0${link}\0${connectorNonce}\0${listenerNonce}`)
    .digest('base64url');
}

function proofMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'base64url');
  const b = Buffer.from(given, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type HandshakeStep =
  | { kind: 'send'; messages: DirectMessage[]; done: boolean }
  /** The peer is not who it claims (or not speaking the protocol): close the connection. */
  | { kind: 'fail'; why: string };

/**
 * One side of the handshake for one connection. The connector speaks first (hello); the listener answers
 * with its nonce and proof; the connector checks it and sends its own proof; the listener checks that and
 * says ready. Any unexpected frame fails the handshake: nothing else is accepted before it completes.
 */
export class Handshake {
  private readonly ownNonce: string;
  private peerNonce: string | undefined;
  private stage: 'start' | 'await_proof' | 'await_challenge' | 'await_ready' | 'done' | 'failed' = 'start';

  constructor(
    readonly role: Role,
    private readonly secret: string,
    private readonly link: string,
    random: Random = randomBytes,
  ) {
    this.ownNonce = random(DIRECT_SECRET_BYTES).toString('base64url');
  }

  get done(): boolean {
    return this.stage === 'done';
  }

  /**
   * The record keys of this link (PROTOCOL.md §10.3): `send` for what this side sends, `receive` for what
   * the peer sends. Throws before the handshake is done: until both proofs checked out there is no link.
   */
  keys(): { send: Buffer; receive: Buffer } {
    if (this.stage !== 'done') throw new Error('direct link keys asked for before the handshake finished');
    const [connectorNonce, listenerNonce] = this.role === 'connector' ? [this.ownNonce, this.peerNonce!] : [this.peerNonce!, this.ownNonce];
    const k = deriveDirectKeys(this.secret, this.link, connectorNonce, listenerNonce);
    return this.role === 'connector' ? { send: k.connector, receive: k.listener } : { send: k.listener, receive: k.connector };
  }

  /** The connector's opening frame; the listener sends nothing until it hears a hello. */
  start(): DirectMessage[] {
    if (this.role === 'listener' || this.stage !== 'start') return [];
    this.stage = 'await_challenge';
    return [{ type: 'hello', version: DIRECT_VERSION, link: this.link, nonce: this.ownNonce }];
  }

  receive(msg: DirectMessage): HandshakeStep {
    const step = this.step(msg);
    if (step.kind === 'fail') this.stage = 'failed';
    return step;
  }

  private step(msg: DirectMessage): HandshakeStep {
    const fail = (why: string): HandshakeStep => ({ kind: 'fail', why });
    if (this.role === 'listener') {
      if (this.stage === 'start' && msg.type === 'hello') {
        if (msg.version !== DIRECT_VERSION) return fail(`direct protocol version ${msg.version} is not ${DIRECT_VERSION}`);
        if (msg.link !== this.link) return fail('hello for another link');
        this.peerNonce = msg.nonce;
        this.stage = 'await_proof';
        const proof = proofFor(this.secret, 'listener', this.link, msg.nonce, this.ownNonce);
        return { kind: 'send', messages: [{ type: 'challenge', nonce: this.ownNonce, proof }], done: false };
      }
      if (this.stage === 'await_proof' && msg.type === 'proof') {
        if (!proofMatches(proofFor(this.secret, 'connector', this.link, this.peerNonce!, this.ownNonce), msg.proof)) {
          return fail('the peer does not hold the secret');
        }
        this.stage = 'done';
        return { kind: 'send', messages: [{ type: 'ready' }], done: true };
      }
      return fail(`unexpected "${msg.type}" during the handshake`);
    }
    if (this.stage === 'await_challenge' && msg.type === 'challenge') {
      if (!proofMatches(proofFor(this.secret, 'listener', this.link, this.ownNonce, msg.nonce), msg.proof)) {
        return fail('the listener does not hold the secret');
      }
      this.peerNonce = msg.nonce;
      this.stage = 'await_ready';
      const proof = proofFor(this.secret, 'connector', this.link, this.ownNonce, msg.nonce);
      return { kind: 'send', messages: [{ type: 'proof', proof }], done: false };
    }
    if (this.stage === 'await_ready' && msg.type === 'ready') {
      this.stage = 'done';
      return { kind: 'send', messages: [], done: true };
    }
    return fail(`unexpected "${msg.type}" during the handshake`);
  }
}
