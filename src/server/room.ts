import { compareNames, foldName } from '../wire/names.js';
import type { Codec, RoomBus, RoomEvent } from './events.js';
import type { Session } from './session.js';

// Membership and fan-out of one room. Members are kept by folded name, with their names kept sorted as
// people come, go and rename (a join storm must not sort the room per join). Fan-out encodes an event once
// per codec, not once per member, and hands the same bytes to every member that speaks that codec.

/** Hands bytes to one connection's send queue (the hub's Outbox). */
export type Send = (session: Session, frame: Buffer) => void;

export class Room {
  private readonly members = new Map<string, Session>();
  /** Members on other servers of a cluster (folded name -> display name): listed, but reached through the bus. */
  private readonly remote = new Map<string, string>();
  private readonly sorted: string[] = [];

  constructor(
    readonly name: string,
    private readonly send: Send,
    private readonly bus?: RoomBus,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** The member under a folded name, if any. */
  member(key: string): Session | undefined {
    return this.members.get(key);
  }

  /** Add a named session. A session already listed under the same key (an older login) is replaced. */
  add(s: Session): void {
    const key = foldName(s.name!);
    const elsewhere = this.remote.get(key); // a newer login here replaces one on another server
    if (elsewhere !== undefined && !this.members.has(key)) this.unlist(elsewhere);
    const before = this.members.get(key);
    if (before?.name !== undefined) this.unlist(before.name);
    before?.rooms.delete(this);
    this.members.set(key, s);
    this.list(s.name!);
    s.rooms.add(this);
  }

  /** Remove `s` if it is the member under its name (a replaced older login is not). */
  remove(s: Session): boolean {
    s.rooms.delete(this);
    const key = foldName(s.name!);
    if (this.members.get(key) !== s) return false;
    this.members.delete(key);
    this.unlist(s.name!);
    const elsewhere = this.remote.get(key);
    if (elsewhere !== undefined) this.list(elsewhere);
    return true;
  }

  /** `s` is now called s.name; it was called `old`. */
  rename(s: Session, old: string): void {
    const oldKey = foldName(old);
    if (this.members.get(oldKey) === s) this.members.delete(oldKey);
    this.unlist(old);
    this.members.set(foldName(s.name!), s);
    this.list(s.name!);
  }

  /** A member on another server of the cluster came (`present`) or went. Listed once even if also here. */
  remoteMember(name: string, present: boolean): void {
    const key = foldName(name);
    const before = this.remote.get(key);
    const here = this.members.has(key);
    if (before !== undefined && !here) this.unlist(before);
    if (present) this.remote.set(key, name);
    else this.remote.delete(key);
    if (present && !here) this.list(name);
  }

  /** Names of the members, sorted case-insensitively (a copy). */
  names(): string[] {
    return [...this.sorted];
  }

  /** The room as `s` sees it: without the names it blocks. */
  namesFor(s: Session): string[] {
    const all = this.names();
    return s.blocks.size === 0 ? all : all.filter((n) => !s.blocks.has(foldName(n)));
  }

  /**
   * An event that happened here: delivered to the members but `except` and those who block `fromKey`,
   * then offered to the bus.
   */
  publish(event: RoomEvent, except?: Session, fromKey?: string): void {
    this.deliver(event, except, fromKey);
    this.bus?.publish(this.name, event);
  }

  /** Deliver to local members only (an event injected from the bus, or one the bus must not see). */
  deliver(event: RoomEvent, except?: Session, fromKey?: string): void {
    // Nearly always one codec: remember the last one and its bytes; others are kept in a small map.
    let codec: Codec | undefined;
    let frame: Buffer | null = null;
    let others: Map<Codec, Buffer | null> | undefined;
    for (const m of this.members.values()) {
      if (m === except || (fromKey !== undefined && m.blocks.has(fromKey))) continue;
      if (m.codec !== codec) {
        if (codec !== undefined) (others ??= new Map()).set(codec, frame);
        codec = m.codec;
        frame = others?.has(codec) ? others.get(codec)! : codec.encode(event);
      }
      if (frame !== null) this.send(m, frame);
    }
  }

  /** Forget every member (shutdown). */
  clear(): void {
    for (const m of this.members.values()) m.rooms.delete(this);
    this.members.clear();
    this.remote.clear();
    this.sorted.length = 0;
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
}
