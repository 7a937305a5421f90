import type { RoomChange } from '../peers.js';
import { hashToken, Store, StoreError, type SessionMeta, type StoredBan, type StoredWhisper } from '../store.js';

// Shared state in cluster mode: accounts, session tokens, offline whispers, blocks, last-seen times, and
// rooms (topic, lock, operators, bans, mutes, members put back at login; RoomChange in peers.ts).
// The rules of chat read the store synchronously, so each node keeps a replica in an in-memory SQLite
// database and Redis holds the journal: every change this node makes is applied here and appended to the
// `parley:state` stream (before the reply that acknowledges it is written), and every node applies the
// others' changes from that stream in order. A node that starts loads the snapshot and replays the journal
// after it first (snapshot.ts), so a replica is never built from anything but Redis. Applying is idempotent (a change seen twice, or one
// that lost a race, changes nothing more), so at-least-once delivery of the journal is enough.
//
// While Redis is away, changes are refused (StoreError): the hub answers `server_error`, "try again
// later", instead of acknowledging what the rest of the cluster would never learn. Reads go on.

/** One change to shared state, as journaled. */
export type StateChange =
  | { op: 'addUser'; key: string; name: string; hash: string; created: number }
  | { op: 'setHash'; key: string; hash: string }
  | { op: 'removeUser'; key: string }
  | { op: 'seen'; key: string; time: number }
  /** `meta`: absent in journals written before sessions were listed. */
  | { op: 'addSession'; token: string; key: string; expires: number; meta?: SessionMeta }
  | { op: 'dropSession'; token: string }
  /** Token rotation on resume (hashes only). A rotation that lost a race to another node's changes nothing. */
  | { op: 'rotateSession'; old: string; token: string; key: string; time: number; expires: number; from: string }
  /** Every session of `key` ends but the one whose token hashes to `keep` ('' for none). */
  | { op: 'dropSessions'; key: string; keep: string }
  | { op: 'dropSessionId'; key: string; id: string }
  | { op: 'addOffline'; to: string; w: StoredWhisper }
  | { op: 'dropOffline'; to: string; upTo: number }
  | { op: 'addBlock'; blocker: string; blocked: string; name: string }
  | { op: 'dropBlock'; blocker: string; blocked: string }
  | { op: 'setAdmin'; key: string; admin: boolean }
  | RoomChange;

const ROOM_OPS: ReadonlySet<string> = new Set<RoomChange['op']>([
  'addRoom',
  'dropRoom',
  'setTopic',
  'setLocked',
  'addOperator',
  'dropOperator',
  'addBan',
  'dropBan',
  'addMute',
  'dropMute',
  'addMember',
  'dropMember',
]);

/** Whether `c` changes a room (the hub's rooms in memory follow it too). */
export function isRoomChange(c: StateChange): c is RoomChange {
  return ROOM_OPS.has(c.op);
}

/** Where a ReplicaStore sends its changes, and whether it can right now. */
export interface Journal {
  /** True while Redis is reachable; changes are refused otherwise. */
  readonly up: boolean;
  /** Append a change; called after it was applied locally, before the caller replies. */
  append(change: StateChange): void;
}

const REFUSED = "the cluster's shared store (Redis) is unreachable; nothing was changed";

/**
 * A Store whose changes to shared state are journaled to the cluster, and which applies the other
 * nodes' changes (apply). History and message ids stay local: the room stream carries history, and ids
 * come from Redis (room lines numbered one by one, whisper ids in blocks).
 */
export class ReplicaStore extends Store {
  private journal: Journal | undefined;
  /** While applying a change from the journal, nothing is journaled again. */
  private applying = false;

  constructor() {
    super(':memory:');
  }

  /** Start journaling (after the journal was replayed: replaying must not write it again). */
  attach(journal: Journal): void {
    this.journal = journal;
  }

  /** Apply a change another node made (or one of ours replayed at start). Never throws on a duplicate. */
  apply(c: StateChange): void {
    this.applying = true;
    try {
      this.applyOne(c);
    } catch (err) {
      // Seen before (a replay, or the journal delivered it twice): already applied.
      if (!String((err as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')) throw err;
    } finally {
      this.applying = false;
    }
  }

  private applyOne(c: StateChange): void {
    {
      switch (c.op) {
        case 'addUser':
          super.addUser(c.key, c.name, c.hash, c.created);
          return;
        case 'setHash':
          return super.setHash(c.key, c.hash);
        case 'removeUser':
          super.removeUser(c.key);
          return;
        case 'seen':
          return super.setLastSeen(c.key, c.time);
        case 'addSession':
          if (super.user(c.key)) super.addSessionHash(c.token, c.key, c.expires, c.meta);
          return;
        case 'dropSession':
          return super.dropSessionHash(c.token);
        case 'rotateSession':
          super.rotateSessionHash(c.old, c.token, c.key, c.time, c.expires, c.from);
          return;
        case 'dropSessions':
          super.dropSessionsOf(c.key, c.keep);
          return;
        case 'dropSessionId':
          super.dropSessionById(c.key, c.id);
          return;
        case 'addOffline':
          if (super.user(c.to)) super.addOffline(c.to, c.w);
          return;
        case 'dropOffline':
          return super.dropOffline(c.to, c.upTo);
        case 'addBlock':
          if (super.user(c.blocker)) super.addBlock(c.blocker, c.blocked, c.name);
          return;
        case 'dropBlock':
          return super.dropBlock(c.blocker, c.blocked);
        case 'setAdmin':
          super.setAdmin(c.key, c.admin);
          return;
        case 'addRoom':
          super.addRoom(c.key, c.name, c.created);
          if (c.by?.account && super.user(c.by.key)) super.addOperator(c.key, c.by.key, c.by.name);
          return;
        case 'dropRoom':
          return super.dropRoom(c.key);
        case 'setTopic':
          return super.setTopic(c.room, c.topic, c.by, c.time);
        case 'setLocked':
          return super.setLocked(c.room, c.locked);
        case 'addOperator':
          return super.addOperator(c.room, c.key, c.name);
        case 'dropOperator':
          return super.dropOperator(c.room, c.key);
        case 'addBan':
          return super.addBan(c.room, c.ban);
        case 'dropBan':
          return super.dropBan(c.room, c.key);
        case 'addMute':
          return super.addMute(c.room, c.key, c.until);
        case 'dropMute':
          return super.dropMute(c.room, c.key);
        case 'addMember':
          return super.addMember(c.room, c.key);
        case 'dropMember':
          return super.dropMember(c.room, c.key);
      }
    }
  }

  private change(c: StateChange, local: () => void): void {
    if (this.applying || !this.journal) return local();
    if (!this.journal.up) throw new StoreError(REFUSED);
    local();
    this.journal.append(c);
  }

  override addUser(key: string, name: string, hash: string, now: number): boolean {
    let added = false;
    this.change({ op: 'addUser', key, name, hash, created: now }, () => (added = super.addUser(key, name, hash, now)));
    return added;
  }

  override setHash(key: string, hash: string): void {
    this.change({ op: 'setHash', key, hash }, () => super.setHash(key, hash));
  }

  override removeUser(key: string): boolean {
    let removed = false;
    this.change({ op: 'removeUser', key }, () => (removed = super.removeUser(key)));
    return removed;
  }

  override setLastSeen(key: string, time: number): void {
    this.change({ op: 'seen', key, time }, () => super.setLastSeen(key, time));
  }

  override addSession(token: string, key: string, expires: number, meta?: SessionMeta): void {
    // Journaled as its hash: the journal is as safe to read as the database (a token never leaves the node).
    const hashed = hashToken(token);
    this.change({ op: 'addSession', token: hashed, key, expires, ...(meta && { meta }) }, () => super.addSessionHash(hashed, key, expires, meta));
  }

  /**
   * Rotation decided on this node's replica alone, then journaled. A cluster's server does not use it: its
   * Accounts ask Redis first (Membership.rotate, a script with SET NX on the token), since two nodes
   * resuming one token within the journal's delay would both succeed here.
   */
  override rotateSession(oldToken: string, newToken: string, key: string, now: number, expires: number, from: string): boolean {
    const old = hashToken(oldToken);
    const token = hashToken(newToken);
    if (this.applying || !this.journal) return super.rotateSessionHash(old, token, key, now, expires, from);
    if (!this.journal.up) throw new StoreError(REFUSED);
    // Journaled only if it happened here: a refused rotation replayed on a node that has the old token
    // (it started later, or had not seen the token yet) would turn it into a token nobody holds.
    const rotated = super.rotateSessionHash(old, token, key, now, expires, from);
    if (rotated) this.journal.append({ op: 'rotateSession', old, token, key, time: now, expires, from });
    return rotated;
  }

  override dropSessionsOf(key: string, keepHash = ''): number {
    let ended = 0;
    this.change({ op: 'dropSessions', key, keep: keepHash }, () => (ended = super.dropSessionsOf(key, keepHash)));
    return ended;
  }

  override dropSessionById(key: string, id: string): boolean {
    let ended = false;
    this.change({ op: 'dropSessionId', key, id }, () => (ended = super.dropSessionById(key, id)));
    return ended;
  }

  override dropSession(token: string): void {
    const hashed = hashToken(token);
    this.change({ op: 'dropSession', token: hashed }, () => super.dropSessionHash(hashed));
  }

  override addOffline(toKey: string, w: StoredWhisper): void {
    this.change({ op: 'addOffline', to: toKey, w }, () => super.addOffline(toKey, w));
  }

  override dropOffline(toKey: string, upTo: number): void {
    this.change({ op: 'dropOffline', to: toKey, upTo }, () => super.dropOffline(toKey, upTo));
  }

  override addBlock(blockerKey: string, blockedKey: string, blockedName: string): void {
    this.change({ op: 'addBlock', blocker: blockerKey, blocked: blockedKey, name: blockedName }, () => super.addBlock(blockerKey, blockedKey, blockedName));
  }

  override dropBlock(blockerKey: string, blockedKey: string): void {
    this.change({ op: 'dropBlock', blocker: blockerKey, blocked: blockedKey }, () => super.dropBlock(blockerKey, blockedKey));
  }

  override setAdmin(key: string, admin: boolean): boolean {
    let done = false;
    this.change({ op: 'setAdmin', key, admin }, () => (done = super.setAdmin(key, admin)));
    return done;
  }

  override addRoom(key: string, name: string, now: number): void {
    this.change({ op: 'addRoom', key, name, created: now }, () => super.addRoom(key, name, now));
  }

  override dropRoom(key: string): void {
    this.change({ op: 'dropRoom', key }, () => super.dropRoom(key));
  }

  override forgetIdleRoom(key: string): void {
    this.change({ op: 'dropRoom', key, idle: true }, () => super.dropRoom(key));
  }

  override setTopic(room: string, topic: string, by: string | undefined, time: number | undefined): void {
    this.change({ op: 'setTopic', room, topic, by, time }, () => super.setTopic(room, topic, by, time));
  }

  override setLocked(room: string, locked: boolean): void {
    this.change({ op: 'setLocked', room, locked }, () => super.setLocked(room, locked));
  }

  override addOperator(room: string, key: string, name: string): void {
    this.change({ op: 'addOperator', room, key, name }, () => super.addOperator(room, key, name));
  }

  override dropOperator(room: string, key: string): void {
    this.change({ op: 'dropOperator', room, key }, () => super.dropOperator(room, key));
  }

  override addBan(room: string, ban: StoredBan): void {
    this.change({ op: 'addBan', room, ban }, () => super.addBan(room, ban));
  }

  override dropBan(room: string, key: string): void {
    this.change({ op: 'dropBan', room, key }, () => super.dropBan(room, key));
  }

  override addMute(room: string, key: string, until: number | undefined): void {
    this.change({ op: 'addMute', room, key, until }, () => super.addMute(room, key, until));
  }

  override dropMute(room: string, key: string): void {
    this.change({ op: 'dropMute', room, key }, () => super.dropMute(room, key));
  }

  override addMember(room: string, key: string): void {
    this.change({ op: 'addMember', room, key }, () => super.addMember(room, key));
  }

  override dropMember(room: string, key: string): void {
    this.change({ op: 'dropMember', room, key }, () => super.dropMember(room, key));
  }
}
