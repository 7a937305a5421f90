import { GROUP_NOTICES_MAX_NAMES, GROUP_NOTICES_MIN_MEMBERS } from '../wire/limits.js';
import { foldName } from '../wire/names.js';
import { foldRoom } from '../wire/rooms.js';
import type { ChatEvent, Codec, RoomBus, RoomEvent } from './events.js';
import { NameList } from './namelist.js';
import { shareListJson } from '../wire/frame.js';
import type { Session } from './session.js';

// One room: its members and fan-out, and what outlives them (topic, operators, bans, mutes, the people
// who will be put back in on their next login). Members are kept by folded name, with their names kept
// sorted as people come, go and rename (a join storm must not sort the room per join). Fan-out encodes an
// event once per codec, not once per member, and hands the same bytes to every member that speaks that codec.
// Plain data: the rules decide who may change what, and write it to the store.

/** Hands bytes to one connection's send queue (the hub's Outbox). */
export type Send = (session: Session, frame: Buffer) => void;

/** A ban: by account (key) for registered users, by name and address for guests. `until`: ms, or until lifted. */
export interface Ban {
  name: string;
  addr?: string;
  until?: number;
  by: string;
}

type Notice = Extract<RoomEvent, { type: 'joined' | 'left' }>;

/** A join or leave notice held for the next tick, with the folded name it is about (for blocks). */
interface Held {
  event: Notice;
  key: string;
}

/**
 * Whether `event` may be held and grouped: joins and leaves, not kicks and bans (they name who did it), nor
 * the join of someone away (it carries their away message).
 */
function groupable(event: RoomEvent): event is Notice {
  return (event.type === 'joined' && event.away === undefined) || (event.type === 'left' && event.by === undefined);
}

/** Whether `b` may go in one grouped frame after `a`: the same kind, and for leaves the same reason and words. */
function sameGroup(a: Notice, b: Notice): boolean {
  if (a.type === 'joined') return b.type === 'joined';
  return b.type === 'left' && a.reason === b.reason && a.message === b.message;
}

/** `names` as one notice like `first`: a single one as itself, several as `names` (PROTOCOL.md §15.3.1). */
function grouped(first: Notice, names: readonly string[]): Notice {
  // The event type's list is mutable, but events are never changed once made (a frozen list is shared, HeldRun).
  return names.length === 1 ? { ...first, name: names[0]! } : { ...first, name: names[0]!, names: names as string[] };
}

/** Deliver `event` to each of `sessions` but `except` and those who block `fromKey`, encoding once per codec. */
export function fanout(sessions: Iterable<Session>, event: ChatEvent, send: Send, except?: Session, fromKey?: string): void {
  // Nearly always one codec: remember the last one and its bytes; others are kept in a small map.
  let codec: Codec | undefined;
  let frame: Buffer | null = null;
  let others: Map<Codec, Buffer | null> | undefined;
  for (const m of sessions) {
    if (m === except || (fromKey !== undefined && m.blocks.has(fromKey))) continue;
    if (m.codec !== codec) {
      if (codec !== undefined) (others ??= new Map()).set(codec, frame);
      codec = m.codec;
      frame = others?.has(codec) ? others.get(codec)! : codec.encode(event);
    }
    if (frame !== null) send(m, frame);
  }
}

/**
 * Everyone who shares a room with `s` (`s` included), each once: who hears of a rename or an away. Each
 * room's held join and leave notices go first (they may be about `s`: nobody hears "x is now known as y"
 * before "x has joined").
 */
export function neighbours(s: Session): Set<Session> {
  const all = new Set<Session>();
  for (const room of s.rooms) {
    room.flushNotices();
    for (const m of room.sessions()) all.add(m);
  }
  return all;
}

/**
 * The names of one run of held notices (one grouped frame), frozen, with their JSON kept whole and the
 * byte offset of each name in it: the tail from any name on is a frozen list whose JSON frame.ts copies
 * (shareListJson) instead of encoding. Members who came while notices were held each get such a tail
 * (PROTOCOL.md §15.3.1), so a tick after k joins encoded O(k²) names; now each name once.
 */
class HeldRun {
  readonly names: readonly string[];
  private json: Buffer | undefined;
  private readonly offsets: number[] = [];

  constructor(names: string[]) {
    this.names = Object.freeze(names);
  }

  /** The names from the `from`-th on, as a frozen list with its JSON shared. */
  tail(from: number): readonly string[] {
    if (from === 0) return this.shared(this.names, 0);
    return this.shared(Object.freeze(this.names.slice(from)), from);
  }

  private shared(list: readonly string[], from: number): readonly string[] {
    if (this.json === undefined) {
      const parts = this.names.map((n) => JSON.stringify(n));
      let at = 1; // after the bracket
      for (const p of parts) {
        this.offsets.push(at);
        at += Buffer.byteLength(p) + 1; // and its comma (the last one's is the closing bracket)
      }
      this.json = Buffer.from(`[${parts.join(',')}]`, 'utf8');
    }
    shareListJson(list, from === 0 ? [this.json] : [OPEN_BRACKET, this.json.subarray(this.offsets[from]!)]);
    return list;
  }
}

const OPEN_BRACKET = Buffer.from('[');

export class Room {
  private readonly members = new Map<string, Session>();
  /** Members on other servers of a cluster (folded name -> display name): listed, but reached through the bus. */
  private readonly remote = new Map<string, string>();
  /** Every member's display name (here and on other servers), sorted, with its JSON kept (namelist.ts). */
  private readonly sorted = new NameList();
  /** The room's key (foldRoom(name)). */
  readonly key: string;
  topic = '';
  topicBy: string | undefined;
  topicTime: number | undefined;
  /** Only operators may set the topic. */
  locked = false;
  /** Operators by folded name, with their display names. */
  readonly operators = new Map<string, string>();
  /** Operators who are guests: their status ends when they leave the server, and is never stored. */
  readonly guestOperators = new Set<string>();
  readonly bans = new Map<string, Ban>();
  /** Muted members by folded name: until when (ms), or undefined for until lifted. */
  readonly mutes = new Map<string, number | undefined>();
  /** Folded names of the people who are members, online or not: they are put back in at login. */
  readonly kept = new Set<string>();

  /** A busy room's join and leave notices waiting for the next tick, in order (see notice). */
  private held: Held[] = [];
  /**
   * Members who came while notices were held: the index in `held` of the first one they are to get (what
   * was held before they came is already in the list their join brought them).
   */
  private readonly heldSince = new Map<Session, number>();

  constructor(
    readonly name: string,
    private readonly send: Send,
    private readonly bus?: RoomBus,
    /** Where a room with grouped notices waiting is listed until they go out; none: no grouping. */
    private readonly waiting?: Set<Room>,
  ) {
    this.key = foldRoom(name);
  }

  /** Nobody in it (here or on another server), nobody to put back, nothing to remember: the room may be forgotten. */
  get idle(): boolean {
    return this.members.size === 0 && this.remote.size === 0 && this.kept.size === 0 && this.topic === '' && this.operators.size === 0;
  }

  /** Members online now. */
  sessions(): IterableIterator<Session> {
    return this.members.values();
  }

  /** The ban on `key` (or, for a guest, on `addr`) in force at `now`; lapsed bans are forgotten. */
  banOf(key: string, addr: string | undefined, now: number): Ban | undefined {
    let ban = this.bans.get(key);
    if (!ban && addr !== undefined) {
      for (const b of this.bans.values()) if (b.addr === addr) ban = b;
    }
    if (ban?.until !== undefined && ban.until <= now) {
      for (const [k, b] of this.bans) if (b === ban) this.bans.delete(k);
      return undefined;
    }
    return ban;
  }

  /** Whether `key` is muted at `now` (a lapsed mute is forgotten); the end of the mute, if it has one. */
  muted(key: string, now: number): { until?: number } | undefined {
    if (!this.mutes.has(key)) return undefined;
    const until = this.mutes.get(key);
    if (until !== undefined && until <= now) {
      this.mutes.delete(key);
      return undefined;
    }
    return until === undefined ? {} : { until };
  }

  /** Members online on this server. */
  get size(): number {
    return this.members.size;
  }

  /** Members online on any server of the cluster (each once). */
  get population(): number {
    return this.sorted.length;
  }

  /** The display name of a member online on another server, by folded name. */
  remoteName(key: string): string | undefined {
    return this.members.has(key) ? undefined : this.remote.get(key);
  }

  /** The member under a folded name, if any. */
  member(key: string): Session | undefined {
    return this.members.get(key);
  }

  /** Add a named session. A session already listed under the same key (an older login) is replaced. */
  add(s: Session): void {
    const key = foldName(s.name!);
    const elsewhere = this.remote.get(key); // a newer login here replaces one on another server
    if (elsewhere !== undefined && !this.members.has(key)) this.sorted.remove(elsewhere);
    const before = this.members.get(key);
    if (before?.name !== undefined) this.sorted.remove(before.name);
    before?.rooms.delete(this);
    this.members.set(key, s);
    this.sorted.insert(s.name!);
    s.rooms.add(this);
    if (this.held.length > 0) this.heldSince.set(s, this.held.length);
  }

  /** Remove `s` if it is the member under its name (a replaced older login is not). */
  remove(s: Session): boolean {
    s.rooms.delete(this);
    const key = foldName(s.name!);
    if (this.members.get(key) !== s) return false;
    this.members.delete(key);
    this.sorted.remove(s.name!);
    const elsewhere = this.remote.get(key);
    if (elsewhere !== undefined) this.sorted.insert(elsewhere);
    return true;
  }

  /** `s` is now called s.name; it was called `old`. */
  rename(s: Session, old: string): void {
    const oldKey = foldName(old);
    if (this.members.get(oldKey) === s) this.members.delete(oldKey);
    this.sorted.remove(old);
    this.members.set(foldName(s.name!), s);
    this.sorted.insert(s.name!);
  }

  /** A member on another server of the cluster came (`present`) or went. Listed once even if also here. */
  remoteMember(name: string, present: boolean): void {
    const key = foldName(name);
    const before = this.remote.get(key);
    const here = this.members.has(key);
    if (before !== undefined && !here) this.sorted.remove(before);
    if (present) this.remote.set(key, name);
    else this.remote.delete(key);
    if (present && !here) this.sorted.insert(name);
  }

  /**
   * Names of the members, sorted case-insensitively: one frozen array until the members change, so that
   * the welcome and the room frame of a join (and every list asked for meanwhile) share it, and its JSON
   * is encoded once (wire/frame.ts).
   */
  names(): readonly string[] {
    return this.sorted.toArray();
  }

  /** The room as `s` sees it: without the names it blocks. */
  namesFor(s: Session): readonly string[] {
    const all = this.names();
    return s.blocks.size === 0 ? all : all.filter((n) => !s.blocks.has(foldName(n)));
  }

  /**
   * An event that happened here: delivered to the members but `except` and those who block `fromKey`,
   * then offered to the bus. A join or leave (`except`: the person it is about) goes through notice.
   */
  publish(event: RoomEvent, except?: Session, fromKey?: string): void {
    if (this.waiting !== undefined && except !== undefined && groupable(event)) this.notice(event, except);
    else this.deliver(event, except, fromKey);
    this.bus?.publish(this.name, event);
  }

  /**
   * A join or leave notice for the members here (not the bus), but not for `about` (the person it is
   * about, when on this server) nor those who block them. In a room of GROUP_NOTICES_MIN_MEMBERS or more
   * it waits for the next tick (flushNotices) and goes out grouped: one frame listing everyone who came
   * (or went), not one frame per person to every member, which costs O(N²) frames when N people join
   * (PROTOCOL.md §15.3.1, as large IRC networks do for big channels).
   */
  notice(event: Notice, about?: Session): void {
    const key = foldName(event.name);
    if (this.waiting === undefined || !groupable(event) || this.members.size < GROUP_NOTICES_MIN_MEMBERS) return this.deliver(event, about, key);
    if (this.held.length === 0) this.waiting.add(this);
    this.held.push({ event, key });
    // Whoever just came knows who was here: they get only what is held after their own join.
    if (about !== undefined && event.type === 'joined' && this.members.get(key) === about) this.heldSince.set(about, this.held.length);
  }

  /**
   * Send the held notices now: at the tick, and before anything else this room says (and before the pong
   * of a member's ping), so that order is kept. Consecutive notices of one kind (and for leaves one
   * reason) become one frame of at most GROUP_NOTICES_MAX_NAMES names, the same bytes for every member
   * who gets all of it; a member who came meanwhile, or who blocks someone in it, gets its own part.
   */
  flushNotices(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    const since = new Map(this.heldSince);
    this.held = [];
    this.heldSince.clear();
    this.waiting?.delete(this);
    const runs: [number, number][] = [];
    for (let i = 0, start = 0; i < held.length; i++) {
      const next = held[i + 1];
      if (next === undefined || !sameGroup(held[start]!.event, next.event) || i + 1 - start >= GROUP_NOTICES_MAX_NAMES) {
        runs.push([start, i + 1]);
        start = i + 1;
      }
    }
    const keys = new Set(held.map((h) => h.key));
    const whole: Session[] = [];
    const apart: Session[] = [];
    for (const m of this.members.values()) {
      if (since.has(m) || (m.blocks.size > 0 && [...keys].some((k) => m.blocks.has(k)))) apart.push(m);
      else whole.push(m);
    }
    const namesOf = (from: number, to: number, keep: (h: Held) => boolean): string[] => {
      const names: string[] = [];
      for (let i = from; i < to; i++) if (keep(held[i]!)) names.push(held[i]!.event.name);
      return names;
    };
    const encoded = runs.map(([from, to]) => new HeldRun(namesOf(from, to, () => true)));
    for (const [r, [from]] of runs.entries()) fanout(whole, grouped(held[from]!.event, encoded[r]!.tail(0)), this.send);
    for (const m of apart) {
      const first = since.get(m) ?? 0;
      for (const [r, [from, to]] of runs.entries()) {
        if (to <= first) continue;
        const start = Math.max(from, first);
        // Everyone who came during a join storm gets the names of those who came after them: a tail of the
        // run, whose JSON is a tail of the run's (HeldRun), not the run encoded again per member.
        const names = m.blocks.size === 0 ? encoded[r]!.tail(start - from) : namesOf(start, to, (h) => !m.blocks.has(h.key));
        if (names.length > 0) fanout([m], grouped(held[start]!.event, names), this.send);
      }
    }
  }

  /** Offer an event delivered by other means (to several rooms' members at once) to the bus only. */
  offer(event: RoomEvent): void {
    this.bus?.publish(this.name, event);
  }

  /** Deliver to local members only (an event injected from the bus, or one the bus must not see). */
  deliver(event: RoomEvent, except?: Session, fromKey?: string): void {
    this.flushNotices();
    fanout(this.members.values(), event, this.send, except, fromKey);
  }

  /** Forget every member (shutdown). */
  clear(): void {
    this.held = [];
    this.heldSince.clear();
    this.waiting?.delete(this);
    for (const m of this.members.values()) m.rooms.delete(this);
    this.members.clear();
    this.remote.clear();
    this.sorted.clear();
  }
}
