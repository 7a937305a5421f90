import type { Accepted } from './accepted.js';
import type { ChatEvent, RoomBus } from './events.js';
import type { ConnId } from './session.js';

// What the core asks of the other servers of a cluster. A lone server has none; cluster mode
// (src/server/cluster/node.ts, on Redis) implements it. The core stays free of Redis: it asks where a
// name is, claims names, takes ids, hands whispers over and tells what it accepted, and the hub's
// inject/deliver methods take what the other servers send.

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
  /** The connection no longer uses `name`. */
  release(conn: ConnId, name: string): void;
  /** A message id unique across the cluster. */
  nextId(): number;
  /**
   * Hand a whisper to the server of its recipient (`key`, folded). Returns false, having sent nothing,
   * when the cluster cannot be reached.
   */
  whisper(key: string, event: WhisperEvent): boolean;
  /** A say or whisper was accepted under the sender's ref: the other servers remember it too, so a resend there is not relayed twice. */
  accepted(sender: string, ref: string, entry: Accepted): void;
}
