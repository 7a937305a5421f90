import type { Accepted } from './accepted.js';
import type { ChatEvent, RoomBus, RoomEvent } from './events.js';
import type { ConnId } from './session.js';
import type { StoredBan } from './store.js';

// What the core asks of the other servers of a cluster. A lone server has none; cluster mode
// (src/server/cluster/node.ts, on Redis) implements it. The core stays free of Redis: it asks where a
// name is, claims names, takes ids, hands whispers over and tells what it accepted, and the hub's
// inject/deliver methods take what the other servers send.

/**
 * A change to a room's lasting state (what the store keeps: the room itself, topic, lock, operators, bans,
 * mutes, members to put back at login). In a cluster each is journaled by the server that made it and
 * applied by the others, to their replica of the store and to their rooms in memory (hub.roomChanged).
 * `by` on addRoom is its creator, its first operator (a guest's operator status is not stored).
 */
export type RoomChange =
  | { op: 'addRoom'; key: string; name: string; created: number; by?: { key: string; name: string; account: boolean } }
  /** `idle`: forgotten because nobody was in it (as that server saw it), not closed. */
  | { op: 'dropRoom'; key: string; idle?: true }
  | { op: 'setTopic'; room: string; topic: string; by?: string | undefined; time?: number | undefined }
  | { op: 'setLocked'; room: string; locked: boolean }
  | { op: 'addOperator'; room: string; key: string; name: string }
  | { op: 'dropOperator'; room: string; key: string }
  | { op: 'addBan'; room: string; ban: StoredBan }
  | { op: 'dropBan'; room: string; key: string }
  | { op: 'addMute'; room: string; key: string; until?: number | undefined }
  | { op: 'dropMute'; room: string; key: string }
  | { op: 'addMember'; room: string; key: string }
  | { op: 'dropMember'; room: string; key: string };

/** A message said in a room. */
export type MessageEvent = Extract<RoomEvent, { type: 'message' }>;

/** The ref a message was accepted under (its id and time are the message's own), travelling with it. */
export interface SequencedRef {
  sender: string;
  ref: string;
  digest: string;
}

/** A whisper on its way to a user on another server. */
export type WhisperEvent = Extract<ChatEvent, { type: 'whisper' }>;

export interface Peers extends RoomBus {
  /** Whether the other servers can be reached now; what needs them is refused while they cannot. */
  readonly up: boolean;
  /** The display name of a user online on another server, by folded name, or undefined. */
  remoteName(key: string): string | undefined;
  /** Every user online on another server: folded name -> display name. */
  remoteUsers(): ReadonlyMap<string, string>;
  /**
   * Claim `name` for connection `conn` across the cluster: it and every name that looks like it (the same
   * nameSkeleton, src/wire/names.ts). `force` (a proven login) takes it over from another holder, whose
   * server then closes that older session. Resolves false when another server holds it; rejects when the
   * cluster cannot be asked.
   */
  claim(conn: ConnId, name: string, force: boolean): Promise<boolean>;
  /**
   * `name` came online here, or was renamed from `old`, outside the default room and every other room (an
   * IRC client of a gateway started with `--irc-no-default-room`): the other servers know them online, for
   * whispers and the user list, without listing them in the default room.
   */
  online(name: string, old?: string): void;
  /** The connection no longer uses `name`. */
  release(conn: ConnId, name: string): void;
  /** A message id unique across the cluster. */
  nextId(): number;
  /**
   * Hand a whisper to the server of its recipient (`key`, folded). Returns false, having sent nothing,
   * when the cluster cannot be reached.
   */
  whisper(key: string, event: WhisperEvent): boolean;
  /**
   * Put a message said here in the cluster's one order (PROTOCOL.md §6.1: ids increase in the order a room
   * saw its lines, on every server): the cluster numbers it and `done(id)` is called when this server's
   * turn to show it comes, after every earlier line of any server; the caller then stores, echoes and
   * delivers it here (the other servers deliver it themselves, and remember `accepted`). If the line,
   * held while Redis was away, had to be dropped before it was sent, `lost()` is called instead, once.
   * Returns false, having sent nothing and calling neither, when the cluster cannot be reached: the
   * caller refuses the line (there is no cluster order to give it).
   */
  sequence(room: string, event: Omit<MessageEvent, 'id'>, accepted: SequencedRef | undefined, done: (id: number) => void, lost: () => void): boolean;
  /** A say or whisper was accepted under the sender's ref: the other servers remember it too, so a resend there is not relayed twice. */
  accepted(sender: string, ref: string, entry: Accepted): void;
  /**
   * Create room `name` across the cluster, `by` its first operator (none: a room made again): resolves true when this server created
   * it, false when it already existed (another server created it meanwhile: `by` is then a plain member).
   * Either way the room is in this server's rooms when it resolves. Rejects when the cluster cannot be asked.
   */
  createRoom(name: string, by: { key: string; name: string; account: boolean } | undefined, now: number): Promise<boolean>;
  /** Whether `toKey`, a guest online on another server, blocks `fromKey` (registered users' blocks are in the store). */
  blockedElsewhere(toKey: string, fromKey: string): boolean;
  /** The guest `name` of this server now blocks exactly `blocked` (folded names): the other servers learn it. */
  guestBlocks(name: string, blocked: string[]): void;
}
