import { foldName } from '../../wire/names.js';
import { foldRoom } from '../../wire/rooms.js';

// The rooms one IRC client is in, as that client has been shown them: members, operators, topic lock.
// IRC answers some queries from what a client has seen (the @ in NAMES, the channels in WHOIS, a QUIT
// once for someone in several shared channels), and the core tells each connection what happens in its
// rooms, so this view follows the core's events and decides nothing.

export interface Channel {
  /** The room's name as the core spells it. */
  name: string;
  /** Members by folded name → name. */
  members: Map<string, string>;
  /** Operators by folded name → name. */
  operators: Map<string, string>;
  locked: boolean;
}

export class Channels {
  private readonly byKey = new Map<string, Channel>();

  get(room: string): Channel | undefined {
    return this.byKey.get(foldRoom(room));
  }

  all(): Channel[] {
    return [...this.byKey.values()];
  }

  /** The client is in `room` now, with these members and operators. Returns false if it already was. */
  enter(room: string, users: readonly string[], operators: string[], locked: boolean): boolean {
    const key = foldRoom(room);
    const fresh = !this.byKey.has(key);
    this.byKey.set(key, {
      name: room,
      members: new Map(users.map((u) => [foldName(u), u])),
      operators: new Map(operators.map((u) => [foldName(u), u])),
      locked,
    });
    return fresh;
  }

  leave(room: string): void {
    this.byKey.delete(foldRoom(room));
  }

  joined(room: string, name: string): void {
    this.get(room)?.members.set(foldName(name), name);
  }

  /** `name` left `room`; without a room, every room (a quit). */
  left(name: string, room?: string): void {
    const key = foldName(name);
    for (const c of room === undefined ? this.all() : [this.get(room)].filter((x): x is Channel => x !== undefined)) {
      c.members.delete(key);
      c.operators.delete(key);
    }
  }

  renamed(old: string, now: string): void {
    const oldKey = foldName(old);
    for (const c of this.byKey.values()) {
      if (c.members.delete(oldKey)) c.members.set(foldName(now), now);
      if (c.operators.delete(oldKey)) c.operators.set(foldName(now), now);
    }
  }

  /** `name` as NAMES shows it in `c`: `@` for an operator. */
  prefixed(c: Channel | undefined, name: string): string {
    return c?.operators.has(foldName(name)) ? `@${name}` : name;
  }

  /** The channels `name` shares with the client, prefixed as WHOIS shows them. */
  of(name: string): string[] {
    const key = foldName(name);
    return this.all()
      .filter((c) => c.members.has(key))
      .map((c) => (c.operators.has(key) ? `@${c.name}` : c.name));
  }

  /** Whether `name` is in any channel the client is in. */
  sees(name: string): boolean {
    const key = foldName(name);
    return this.all().some((c) => c.members.has(key));
  }
}
