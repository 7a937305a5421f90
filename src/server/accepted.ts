// What the server has already accepted, by sender and the client's `ref`, so a request the client resends
// after a dropped connection (it wrote the line, the echo never came back) is acknowledged again instead
// of being relayed twice. Only the id, time and recipient are kept: the echo is rebuilt from the resent
// request, so memory stays small (about 100 bytes an entry) and bounded on both axes.

export interface Accepted {
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

  get(sender: string, ref: string): Accepted | undefined {
    return this.bySender.get(sender)?.get(ref);
  }

  remember(sender: string, ref: string, accepted: Accepted): void {
    let refs = this.bySender.get(sender);
    if (refs) this.bySender.delete(sender);
    else refs = new Map();
    this.bySender.set(sender, refs);
    refs.set(ref, accepted);
    if (refs.size > this.perSender) refs.delete(refs.keys().next().value!);
    if (this.bySender.size > this.senders) this.bySender.delete(this.bySender.keys().next().value!);
  }
}
