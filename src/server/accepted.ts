import { createHash } from 'node:crypto';

// What the server has already accepted, by sender and the client's `ref`, so a request the client resends
// after a dropped connection (it wrote the line, the echo never came back) is acknowledged again instead
// of being relayed twice. A resend must be the same request (same type, recipient and text, compared by
// digest): a client that merely reuses a ref for a new line gets it relayed as new. Only the id, time,
// recipient and digest are kept — the echo is rebuilt from the resent request — so an entry is about 150
// bytes, and both the entries per sender and the senders are bounded.

/** A short fingerprint of a say or whisper: type, recipient and text. */
export function requestDigest(type: string, to: string, text: string): string {
  return createHash('sha1').update(`${type}\0${to}\0${text}`).digest('base64');
}

export interface Accepted {
  digest: string;
  id: number;
  time: number;
  /** Whispers: the recipient's name, and whether it was stored for an offline user. */
  to?: string;
  stored?: boolean;
}

export class AcceptedRefs {
  /** Oldest sender first (a Map keeps insertion order; a sender is moved to the end when it writes). */
  private readonly bySender = new Map<string, Map<string, Accepted>>();

  constructor(
    private readonly perSender: number,
    private readonly senders: number,
  ) {}

  /** Whether this sender has requests remembered (a session that may be continued). */
  has(sender: string): boolean {
    return this.bySender.has(sender);
  }

  /** The earlier acceptance of this very request (same ref and digest), if any. */
  get(sender: string, ref: string, digest: string): Accepted | undefined {
    const a = this.bySender.get(sender)?.get(ref);
    return a?.digest === digest ? a : undefined;
  }

  remember(sender: string, ref: string, accepted: Accepted): void {
    let refs = this.bySender.get(sender);
    if (refs) this.bySender.delete(sender);
    else refs = new Map();
    this.bySender.set(sender, refs);
    refs.delete(ref); // a reused ref counts as the newest
    refs.set(ref, accepted);
    if (refs.size > this.perSender) refs.delete(refs.keys().next().value!);
    if (this.bySender.size > this.senders) this.bySender.delete(this.bySender.keys().next().value!);
  }
}
