import { foldRoom } from '../wire/rooms.js';
import type { RoomBus } from './events.js';
import { Room, type Send } from './room.js';
import type { Store } from './store.js';

// The server's rooms by folded name: the default room (always there, never closed) and the rooms people
// created, as loaded from the store at start. Which room a person is put back in at login is the reverse
// of each room's `kept` set, indexed here.

export class Rooms {
  private readonly byKey = new Map<string, Room>();
  /** Rooms with join and leave notices held for the next tick (Room.notice). */
  private readonly waiting = new Set<Room>();
  /** Folded user name → the rooms that keep them. */
  private readonly keptBy = new Map<string, Set<Room>>();
  readonly lobby: Room;

  constructor(
    defaultRoom: string,
    private readonly send: Send,
    private readonly bus: RoomBus | undefined,
    stored: ReturnType<Store['rooms']> = [],
    private readonly grouping = false,
  ) {
    for (const r of stored) {
      const room = this.make(r.name);
      room.topic = r.topic;
      room.topicBy = r.topicBy;
      room.topicTime = r.topicTime;
      room.locked = r.locked;
      for (const o of r.operators) room.operators.set(o.key, o.name);
      for (const b of r.bans) room.bans.set(b.key, { name: b.name, ...(b.addr !== undefined && { addr: b.addr }), ...(b.until !== undefined && { until: b.until }), by: b.by });
      for (const m of r.mutes) room.mutes.set(m.key, m.until);
      for (const k of r.members) this.keep(room, k);
    }
    this.lobby = this.byKey.get(foldRoom(defaultRoom)) ?? this.make(defaultRoom);
  }

  /** Send every room's held join and leave notices (each tick). */
  flushNotices(): void {
    for (const room of [...this.waiting]) room.flushNotices();
  }

  get size(): number {
    return this.byKey.size;
  }

  get(name: string): Room | undefined {
    return this.byKey.get(foldRoom(name));
  }

  /** A new room under `name` (which must be valid and free). */
  create(name: string): Room {
    return this.make(name);
  }

  /** Every room, in no particular order. */
  all(): IterableIterator<Room> {
    return this.byKey.values();
  }

  /** Forget a room (closed, or idle); it must not have members online. */
  drop(room: Room): void {
    if (room === this.lobby) return;
    for (const k of room.kept) this.unkeep(room, k);
    this.byKey.delete(room.key);
  }

  /** Remember that `userKey` is a member of `room`, to be put back at login. */
  keep(room: Room, userKey: string): void {
    room.kept.add(userKey);
    let set = this.keptBy.get(userKey);
    if (!set) this.keptBy.set(userKey, (set = new Set()));
    set.add(room);
  }

  unkeep(room: Room, userKey: string): void {
    room.kept.delete(userKey);
    const set = this.keptBy.get(userKey);
    set?.delete(room);
    if (set?.size === 0) this.keptBy.delete(userKey);
  }

  /** The rooms `userKey` is a member of (online or not). */
  keptFor(userKey: string): Room[] {
    return [...(this.keptBy.get(userKey) ?? [])];
  }

  private make(name: string): Room {
    const room = new Room(name, this.send, this.bus, this.grouping ? this.waiting : undefined);
    this.byKey.set(room.key, room);
    return room;
  }
}
