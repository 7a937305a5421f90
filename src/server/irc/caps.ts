// IRCv3 capability negotiation (https://ircv3.net/specs/extensions/capability-negotiation) and SASL PLAIN
// (https://ircv3.net/specs/extensions/sasl-3.1, RFC 4616), as pure state: commands in, replies and
// decisions out. The session turns the decisions into requests to the core.

/** The capabilities the gateway offers, and the value each advertises in CAP LS 302. */
export const CAPABILITIES: Readonly<Record<string, string>> = {
  'away-notify': '',
  'cap-notify': '',
  'echo-message': '',
  'message-tags': '',
  'multi-prefix': '',
  sasl: 'PLAIN',
  'server-time': '',
  'userhost-in-names': '',
};

/** Bytes of one AUTHENTICATE chunk (sasl-3.1: the payload is sent in 400-byte pieces, a shorter one ends it). */
export const SASL_CHUNK_BYTES = 400;
/** Bytes of a whole SASL PLAIN payload, base64: authzid, authcid and a password all fit well within it. */
export const SASL_MAX_BYTES = 2048;

export interface CapReply {
  /** `ACK` or `NAK` or `LS`/`LIST` lines, each the params after `CAP <nick>`. */
  lines: string[][];
}

/**
 * One connection's capabilities. `negotiating` holds registration open from the first CAP LS/REQ until
 * CAP END (capability-negotiation "Connection registration").
 */
export class CapState {
  readonly enabled = new Set<string>();
  negotiating = false;
  /** 302 or later: values in LS, and cap-notify implied. */
  version = 0;

  has(cap: string): boolean {
    return this.enabled.has(cap);
  }

  /**
   * Handle `CAP <sub> [args]` (subcommand already upper-cased). `registered`: whether the client finished
   * registration (then LS/REQ do not hold it open). Returns the params of each reply after `CAP <nick>`,
   * or an `invalid` subcommand for ERR_INVALIDCAPCMD.
   */
  handle(sub: string, args: string[], registered: boolean): { replies: string[][] } | { invalid: string } {
    switch (sub) {
      case 'LS': {
        if (!registered) this.negotiating = true;
        const v = Number(args[0] ?? '0');
        if (Number.isInteger(v) && v > this.version) this.version = v;
        if (this.version >= 302) this.enabled.add('cap-notify');
        const items = Object.entries(CAPABILITIES).map(([k, val]) => (this.version >= 302 && val !== '' ? `${k}=${val}` : k));
        return { replies: [['LS', items.join(' ')]] };
      }
      case 'LIST':
        return { replies: [['LIST', [...this.enabled].sort().join(' ')]] };
      case 'REQ': {
        if (!registered) this.negotiating = true;
        const wanted = (args[0] ?? '').split(' ').filter((c) => c !== '');
        // All or nothing (capability-negotiation "CAP REQ"): one unknown name refuses the whole request.
        const ok = wanted.length > 0 && wanted.every((c) => Object.hasOwn(CAPABILITIES, c.replace(/^-/, '')));
        if (!ok) return { replies: [['NAK', args[0] ?? '']] };
        for (const c of wanted) {
          if (c.startsWith('-')) this.enabled.delete(c.slice(1));
          else this.enabled.add(c);
        }
        return { replies: [['ACK', args[0] ?? '']] };
      }
      case 'END':
        this.negotiating = false;
        return { replies: [] };
      default:
        return { invalid: sub };
    }
  }
}

export type SaslStep =
  /** Send `AUTHENTICATE +`: the client may send its payload. */
  | { kind: 'continue' }
  /** More chunks to come; nothing to send. */
  | { kind: 'more' }
  /** A complete PLAIN payload: check these credentials. */
  | { kind: 'credentials'; authzid: string; authcid: string; password: string }
  /** The exchange failed before any check: answer with this numeric (904 fail, 905 too long, 906 aborted, 908 mechs). */
  | { kind: 'fail'; numeric: 'fail' | 'toolong' | 'aborted' | 'mechanism' };

/** One SASL exchange: `AUTHENTICATE PLAIN`, `+`, then the base64 payload in SASL_CHUNK_BYTES pieces. */
export class SaslExchange {
  private mechanism: string | undefined;
  private buffer = '';

  get active(): boolean {
    return this.mechanism !== undefined;
  }

  /** Feed one AUTHENTICATE parameter. */
  step(param: string): SaslStep {
    if (param === '*') {
      const was = this.active;
      this.reset();
      return { kind: 'fail', numeric: was ? 'aborted' : 'fail' };
    }
    if (this.mechanism === undefined) {
      if (param.toUpperCase() !== 'PLAIN') return { kind: 'fail', numeric: 'mechanism' };
      this.mechanism = 'PLAIN';
      return { kind: 'continue' };
    }
    if (param.length > SASL_CHUNK_BYTES) {
      this.reset();
      return { kind: 'fail', numeric: 'toolong' };
    }
    if (param !== '+') this.buffer += param;
    if (this.buffer.length > SASL_MAX_BYTES) {
      this.reset();
      return { kind: 'fail', numeric: 'toolong' };
    }
    if (param.length === SASL_CHUNK_BYTES) return { kind: 'more' };
    const payload = this.buffer;
    this.reset();
    return decodePlain(payload);
  }

  reset(): void {
    this.mechanism = undefined;
    this.buffer = '';
  }
}

/** RFC 4616: base64 of `authzid NUL authcid NUL passwd`, UTF-8. */
export function decodePlain(b64: string): SaslStep {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return { kind: 'fail', numeric: 'fail' };
  const bytes = Buffer.from(b64, 'base64');
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return { kind: 'fail', numeric: 'fail' };
  const parts = text.split('\0');
  if (parts.length !== 3 || parts[1] === '' || parts[2] === '') return { kind: 'fail', numeric: 'fail' };
  return { kind: 'credentials', authzid: parts[0]!, authcid: parts[1]!, password: parts[2]! };
}
