import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DB_BUSY_TIMEOUT_MS, DB_RETRY_AFTER_BUSY_MS, DISK_CHECK_EVERY_MS, HISTORY_CACHE_ROOMS, HISTORY_PRUNE_ROWS, MIN_FREE_DISK_BYTES } from '../wire/limits.js';
import { foldName, nameSkeleton } from '../wire/names.js';

// Everything that outlives a connection, in one SQLite file (better-sqlite3, synchronous): accounts,
// session tokens, offline whispers, room history, blocks and last-seen times. WAL mode with
// synchronous=NORMAL: a commit is in the WAL before the call returns, so a process crash (kill -9) loses
// nothing that was acknowledged; only a power loss can lose the last commits. The server migrates the
// schema itself, tracking its version in `PRAGMA user_version`.

/** A name key is foldName(name); display names keep the case the user chose. */
export interface UserRow {
  key: string;
  name: string;
  hash: string;
  created: number;
  lastSeen: number | null;
  /** The password does not meet today's rule (imported from another system): ask for a new one at login. */
  mustChange: boolean;
}

type UserColumns = { key: string; name: string; hash: string; created: number; last_seen: number | null; must_change: number };

function userRow(r: UserColumns): UserRow {
  return { key: r.key, name: r.name, hash: r.hash, created: r.created, lastSeen: r.last_seen, mustChange: r.must_change === 1 };
}

export interface StoredMessage {
  id: number;
  /** The room's key (foldRoom). */
  room: string;
  from: string;
  text: string;
  time: number;
  action: boolean;
  /** Sent as a notice (say.notice): replayed as one. */
  notice?: boolean;
}

export interface StoredWhisper {
  id: number;
  from: string;
  to: string;
  text: string;
  time: number;
  /** The sender's source address (sourceOf), for the per-source quota; absent for rows from before it. */
  source?: string;
}

/** A room as kept: what outlives its members. Bans and mutes with `until` lapse then (ms). */
export interface StoredRoom {
  key: string;
  name: string;
  topic: string;
  topicBy?: string;
  topicTime?: number;
  locked: boolean;
  operators: { key: string; name: string }[];
  bans: StoredBan[];
  mutes: { key: string; until?: number }[];
  members: string[];
}

export interface StoredBan {
  key: string;
  name: string;
  /** For a guest: the address banned with the name. */
  addr?: string;
  until?: number;
  by: string;
}

/**
 * A login's session token as kept: only the token's SHA-256 (`tokenHash`), a public `id` its owner names it
 * by (never derived from the token), and times in ms. `created`, `lastUsed` and `from` are null for
 * tokens issued before schema 5.
 */
export interface StoredSession {
  id: string;
  tokenHash: string;
  created: number | null;
  lastUsed: number | null;
  /** The source address (sourceOf) of the login or of the last resume. */
  from: string | null;
  expires: number;
}

/** What a new session records besides its token: its public id, and when and where from it began. */
export interface SessionMeta {
  id: string;
  created: number;
  from: string;
}

/** Random bytes of a session's public id (hex: twice as many characters); unique per account. */
export const SESSION_ID_BYTES = 4;

/** Startup failures a person can act on: the file cannot be created, opened or written. */
export class StoreError extends Error {}

/** A statement refused at once because the database was just found locked by another process. */
export class StoreBusy extends Error {}

/** nameSkeleton (src/wire/names.ts) as an SQL expression over `column`; names are ASCII, so lower() suffices. */
export function SKELETON_SQL(column: string): string {
  return `replace(replace(replace(replace(lower(${column}), 'rn', 'm'), 'i', 'l'), '1', 'l'), '0', 'o')`;
}

// Each entry moves the schema one version up; never edit one that has shipped, append a new one.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL,
     created INTEGER NOT NULL,
     last_seen INTEGER
   );
   CREATE TABLE sessions (
     token_hash TEXT PRIMARY KEY,
     user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
     expires INTEGER NOT NULL
   );
   CREATE INDEX sessions_user ON sessions(user_key);
   CREATE TABLE offline (
     id INTEGER PRIMARY KEY,
     to_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
     from_name TEXT NOT NULL,
     to_name TEXT NOT NULL,
     text TEXT NOT NULL,
     time INTEGER NOT NULL
   );
   CREATE INDEX offline_to ON offline(to_key, id);
   CREATE TABLE history (
     id INTEGER PRIMARY KEY,
     from_name TEXT NOT NULL,
     text TEXT NOT NULL,
     time INTEGER NOT NULL,
     action INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE blocks (
     blocker_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
     blocked_key TEXT NOT NULL,
     blocked_name TEXT NOT NULL,
     PRIMARY KEY (blocker_key, blocked_key)
   );
   CREATE TABLE meta (
     key TEXT PRIMARY KEY,
     value INTEGER NOT NULL
   );`,
  // Issue 10: look-alike names (nameSkeleton, repeated here in SQL), and what stored whispers cost whom.
  `ALTER TABLE users ADD COLUMN skeleton TEXT;
   UPDATE users SET skeleton = ${SKELETON_SQL('name')};
   CREATE INDEX users_skeleton ON users(skeleton);
   ALTER TABLE offline ADD COLUMN from_key TEXT;
   ALTER TABLE offline ADD COLUMN source TEXT;
   ALTER TABLE offline ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
   UPDATE offline SET from_key = lower(from_name), bytes = length(CAST(text AS BLOB));
   CREATE INDEX offline_from ON offline(from_key);
   CREATE INDEX offline_source ON offline(source);`,
  // Rooms (issue 13). History rows written before rooms have room '' and belong to the default room.
  `ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE history ADD COLUMN room TEXT NOT NULL DEFAULT '';
   CREATE INDEX history_room ON history(room, id);
   CREATE TABLE rooms (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     topic TEXT NOT NULL DEFAULT '',
     topic_by TEXT,
     topic_time INTEGER,
     locked INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL
   );
   CREATE TABLE room_ops (
     room_key TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
     user_key TEXT NOT NULL,
     user_name TEXT NOT NULL,
     PRIMARY KEY (room_key, user_key)
   );
   CREATE TABLE room_bans (
     room_key TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
     user_key TEXT NOT NULL,
     user_name TEXT NOT NULL,
     addr TEXT,
     until INTEGER,
     by_name TEXT NOT NULL,
     PRIMARY KEY (room_key, user_key)
   );
   CREATE TABLE room_mutes (
     room_key TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
     user_key TEXT NOT NULL,
     until INTEGER,
     PRIMARY KEY (room_key, user_key)
   );
   CREATE TABLE room_members (
     room_key TEXT NOT NULL REFERENCES rooms(key) ON DELETE CASCADE,
     user_key TEXT NOT NULL,
     PRIMARY KEY (room_key, user_key)
   );`,
  // 4: accounts imported with a weak password choose a new one at their next login (issue 12).
  `ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;`,
  // 5: an owner lists their sessions and ends one (issue 10): a public id, when it began, when and where
  // from it was last used. Tokens issued before have an id now and no times (shown as unknown).
  `ALTER TABLE sessions ADD COLUMN id TEXT;
   ALTER TABLE sessions ADD COLUMN created INTEGER;
   ALTER TABLE sessions ADD COLUMN last_used INTEGER;
   ALTER TABLE sessions ADD COLUMN source TEXT;
   UPDATE sessions SET id = lower(hex(randomblob(4)));`,
  // 6: a room line sent as a notice (IRC's NOTICE, a bot's) is replayed as one (RFC 2812 §3.3.2: nobody
  // answers a notice automatically). Lines stored before were replayed as ordinary messages, and stay so.
  `ALTER TABLE history ADD COLUMN notice INTEGER NOT NULL DEFAULT 0;`,
  // 7: the history as one B-tree keyed by (room, id), the order every read and prune uses: a committed line
  // writes one page to the WAL instead of two (the table's and its index's), and a checkpoint copies half
  // as much (issue 15: the fixed cost per message). Only for a row under ~1,000 bytes, the most a WITHOUT
  // ROWID leaf keeps of one: a longer line spills into overflow pages and costs more than it did in the
  // rowid table (figures in OPERATIONS.md, "Store schema").
  `CREATE TABLE history_by_room (
     room TEXT NOT NULL,
     id INTEGER NOT NULL,
     from_name TEXT NOT NULL,
     text TEXT NOT NULL,
     time INTEGER NOT NULL,
     action INTEGER NOT NULL DEFAULT 0,
     notice INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (room, id)
   ) WITHOUT ROWID;
   INSERT INTO history_by_room(room, id, from_name, text, time, action, notice) SELECT room, id, from_name, text, time, action, notice FROM history;
   DROP TABLE history;
   ALTER TABLE history_by_room RENAME TO history;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The shape of the shared tables as a cluster's snapshot carries them (Store.dumpShared, loadShared): raised by
 * a migration that changes a shared table's columns, and only then. A migration of history or meta alone (schema
 * 7 re-keyed history) leaves it, so a server of an older schema with the same shared shape still reloads a
 * snapshot a newer server wrote, and a rolling upgrade does not stop its reloads. 1: the shared tables of schemas
 * 6 and 7.
 */
export const SHARED_FORMAT = 1;

/** The tables a cluster shares (parents before the tables that refer to them); history and meta stay each server's own. */
const SHARED_TABLES = ['users', 'rooms', 'sessions', 'offline', 'blocks', 'room_ops', 'room_bans', 'room_mutes', 'room_members'] as const;

/**
 * Rows per INSERT statement when a commit writes the history, largest first: a commit of n rows runs
 * floor(n / 64) statements of 64 rows and at most 3 each of 16, 4 and 1 (64 rows bind 448 values, far
 * under SQLite's 32,766). Four prepared statements, whatever n is.
 */
const HISTORY_INSERT_ROWS: readonly number[] = [64, 16, 4, 1];

/**
 * A room's history up to and including one id goes: a range of the (room, id) key, deleted as it is walked
 * (one pass; exported for the test that keeps it so).
 */
export const PRUNE_HISTORY_SQL = 'DELETE FROM history WHERE room = ? AND id <= ?';

/** Message ids are reserved in blocks, so a restart never reuses one and most messages cost no extra write. */
const ID_BLOCK = 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Store {
  private readonly db: Database.Database;
  private readonly st;
  private idCeiling: number;
  /** Free bytes on the database's disk, as last measured, and when. */
  private freeBytes = Infinity;
  private diskCheckedAt = -Infinity;
  /** Below this many free bytes, lowOnDisk() is true (MIN_FREE_DISK_BYTES; tests raise it to act out a full disk). */
  minFreeBytes = MIN_FREE_DISK_BYTES;
  /** Until when (ms) every statement fails at once: the file was found locked by another process. */
  private busyUntil = 0;
  /** Called when a statement finds the database locked (the hub logs it); once per DB_RETRY_AFTER_BUSY_MS at most. */
  onBusy: (error: Error) => void = () => {};
  /** Called when a batch of history rows could not be written (the hub logs it); the rows are dropped. */
  onWriteError: (error: Error, rows: number) => void = () => {};
  /** History rows accepted but not yet committed: written in one transaction by commit(). */
  private pendingHistory: StoredMessage[] = [];
  /** Called when a room's history could not be cut back after a commit (the hub logs it); tried again later. */
  onPruneError: (error: Error) => void = () => {};
  /** Lines each room keeps (keepHistory); 0: only pruneHistory cuts a room back. */
  private keep = 0;
  /** Per room, lines added since it was last cut back. */
  private readonly grown = new Map<string, number>();
  /** Rooms that grew by HISTORY_PRUNE_ROWS since they were last cut back: pruned after the next commit. */
  private due: string[] = [];
  /**
   * Per room, the newest messages as last read (and how many were asked for): every login and join
   * replays them, so a join storm reads the database once per change of the history, not once per joiner.
   * At most HISTORY_CACHE_ROOMS rooms, in order of last use (the first is the least recently replayed).
   */
  private readonly recent = new Map<string, { limit: number; rows: readonly StoredMessage[] }>();
  private commitScheduled = false;
  /** Statements run so far (tests count the database work of a request with it). */
  statements = 0;

  /** Opens (creating if needed) and migrates the database. Throws StoreError with a one-line reason. */
  constructor(readonly file: string) {
    try {
      if (file !== ':memory:') {
        const dir = path.dirname(path.resolve(file));
        if (!fs.existsSync(dir)) throw new Error(`the directory ${dir} does not exist`);
      }
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 2000');
      this.migrate();
      // A write now, so a read-only file or directory fails at startup and not in the middle of a chat.
      this.db.prepare(`INSERT INTO meta(key, value) VALUES ('opened', 1) ON CONFLICT(key) DO UPDATE SET value = value + 1`).run();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot use the database ${file}: ${(err as Error).message}`, { cause: err });
    }
    const db = this.db;
    this.st = {
      user: db.prepare<[string], UserColumns>('SELECT key, name, hash, created, last_seen, must_change FROM users WHERE key = ?'),
      users: db.prepare<[], UserColumns>('SELECT key, name, hash, created, last_seen, must_change FROM users ORDER BY key'),
      addUser: db.prepare('INSERT INTO users(key, name, hash, created, skeleton, must_change) VALUES (?, ?, ?, ?, ?, ?)'),
      lookAlike: db.prepare<[string, string], { name: string }>('SELECT name FROM users WHERE skeleton = ? AND key <> ? LIMIT 1'),
      // The name's own account first (if any), then one other.
      sameSkeleton: db.prepare<[string, string], { key: string; name: string }>('SELECT key, name FROM users WHERE skeleton = ? ORDER BY key = ? DESC LIMIT 2'),
      setHash: db.prepare('UPDATE users SET hash = ?, must_change = 0 WHERE key = ?'),
      removeUser: db.prepare('DELETE FROM users WHERE key = ?'),
      seen: db.prepare('UPDATE users SET last_seen = ? WHERE key = ?'),
      seenSince: db.prepare<[number], { name: string; last_seen: number }>('SELECT name, last_seen FROM users WHERE last_seen >= ? ORDER BY last_seen DESC LIMIT 10000'),
      addSession: db.prepare('INSERT INTO sessions(token_hash, user_key, expires, id, created, last_used, source) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      session: db.prepare<[string, number], { user_key: string }>('SELECT user_key FROM sessions WHERE token_hash = ? AND expires > ?'),
      dropSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
      rotateSession: db.prepare('UPDATE sessions SET token_hash = ?, expires = ?, last_used = ?, source = ? WHERE token_hash = ? AND user_key = ? AND expires > ?'),
      sessionsOf: db.prepare<[string, number], { id: string; token_hash: string; created: number | null; last_used: number | null; source: string | null; expires: number }>(
        'SELECT id, token_hash, created, last_used, source, expires FROM sessions WHERE user_key = ? AND expires > ? ORDER BY coalesce(last_used, created, 0) DESC',
      ),
      dropSessionsOf: db.prepare("DELETE FROM sessions WHERE user_key = ? AND token_hash <> ?"),
      dropSessionById: db.prepare('DELETE FROM sessions WHERE user_key = ? AND id = ?'),
      expireSessions: db.prepare('DELETE FROM sessions WHERE expires <= ?'),
      addOffline: db.prepare('INSERT INTO offline(id, to_key, from_name, to_name, text, time, from_key, source, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      offlineBytesFrom: db.prepare<[string], { n: number | null }>('SELECT sum(bytes) AS n FROM offline WHERE from_key = ?'),
      offlineBytesFromSource: db.prepare<[string], { n: number | null }>('SELECT sum(bytes) AS n FROM offline WHERE source = ?'),
      offlineBytesTotal: db.prepare<[], { n: number | null }>('SELECT sum(bytes) AS n FROM offline'),
      countOffline: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM offline WHERE to_key = ?'),
      offlineFor: db.prepare<[string], { id: number; from_name: string; to_name: string; text: string; time: number }>(
        'SELECT id, from_name, to_name, text, time FROM offline WHERE to_key = ? ORDER BY id',
      ),
      dropOffline: db.prepare('DELETE FROM offline WHERE to_key = ? AND id <= ?'),
      recent: db.prepare<[string, number, number], { id: number; from_name: string; text: string; time: number; action: number; notice: number }>(
        'SELECT id, from_name, text, time, action, notice FROM (SELECT * FROM history WHERE room = ? AND id > ? ORDER BY id DESC LIMIT ?) ORDER BY id',
      ),
      historyCut: db.prepare<[string, number], { id: number }>('SELECT id FROM history WHERE room = ? ORDER BY id DESC LIMIT 1 OFFSET ?'),
      pruneHistory: db.prepare(PRUNE_HISTORY_SQL),
      adoptHistory: db.prepare("UPDATE history SET room = ? WHERE room = ''"),
      isAdmin: db.prepare<[string], { admin: number }>('SELECT admin FROM users WHERE key = ?'),
      setAdmin: db.prepare('UPDATE users SET admin = ? WHERE key = ?'),
      rooms: db.prepare<[], { key: string; name: string; topic: string; topic_by: string | null; topic_time: number | null; locked: number }>(
        'SELECT key, name, topic, topic_by, topic_time, locked FROM rooms',
      ),
      roomOps: db.prepare<[], { room_key: string; user_key: string; user_name: string }>('SELECT room_key, user_key, user_name FROM room_ops'),
      roomBans: db.prepare<[], { room_key: string; user_key: string; user_name: string; addr: string | null; until: number | null; by_name: string }>(
        'SELECT room_key, user_key, user_name, addr, until, by_name FROM room_bans',
      ),
      roomMutes: db.prepare<[], { room_key: string; user_key: string; until: number | null }>('SELECT room_key, user_key, until FROM room_mutes'),
      roomMembers: db.prepare<[], { room_key: string; user_key: string }>('SELECT room_key, user_key FROM room_members'),
      addRoom: db.prepare('INSERT INTO rooms(key, name, created) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING'),
      dropRoom: db.prepare('DELETE FROM rooms WHERE key = ?'),
      dropRoomHistory: db.prepare('DELETE FROM history WHERE room = ?'),
      setTopic: db.prepare('UPDATE rooms SET topic = ?, topic_by = ?, topic_time = ? WHERE key = ?'),
      setLocked: db.prepare('UPDATE rooms SET locked = ? WHERE key = ?'),
      addOp: db.prepare('INSERT INTO room_ops(room_key, user_key, user_name) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET user_name = excluded.user_name'),
      dropOp: db.prepare('DELETE FROM room_ops WHERE room_key = ? AND user_key = ?'),
      addBan: db.prepare(
        'INSERT INTO room_bans(room_key, user_key, user_name, addr, until, by_name) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET user_name = excluded.user_name, addr = excluded.addr, until = excluded.until, by_name = excluded.by_name',
      ),
      dropBan: db.prepare('DELETE FROM room_bans WHERE room_key = ? AND user_key = ?'),
      addMute: db.prepare('INSERT INTO room_mutes(room_key, user_key, until) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET until = excluded.until'),
      dropMute: db.prepare('DELETE FROM room_mutes WHERE room_key = ? AND user_key = ?'),
      addMember: db.prepare('INSERT INTO room_members(room_key, user_key) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      dropMember: db.prepare('DELETE FROM room_members WHERE room_key = ? AND user_key = ?'),
      blocks: db.prepare<[string], { blocked_key: string; blocked_name: string }>('SELECT blocked_key, blocked_name FROM blocks WHERE blocker_key = ? ORDER BY blocked_key'),
      addBlock: db.prepare('INSERT INTO blocks(blocker_key, blocked_key, blocked_name) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET blocked_name = excluded.blocked_name'),
      dropBlock: db.prepare('DELETE FROM blocks WHERE blocker_key = ? AND blocked_key = ?'),
      getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
    this.idCeiling = this.st.getMeta.get('id_ceiling')?.value ?? 0;
    // Startup may wait for a lock (above, 2 s); a running server must not: every statement runs on the
    // event loop, and a lock held elsewhere (a backup, an sqlite3 shell) used to stall the room 2 s per
    // write. Now a statement waits DB_BUSY_TIMEOUT_MS at most, and after one has failed on a lock the
    // others fail at once for DB_RETRY_AFTER_BUSY_MS. Callers treat that like any store failure.
    this.db.pragma(`busy_timeout = ${DB_BUSY_TIMEOUT_MS}`);
    for (const stmt of Object.values(this.st)) this.failFast(stmt as unknown as Database.Statement);
  }

  /** Wrap a statement's run/get/all so a locked database fails fast (see the constructor). */
  private failFast(stmt: Database.Statement): void {
    for (const method of ['run', 'get', 'all'] as const) {
      const original = stmt[method].bind(stmt) as (...args: unknown[]) => unknown;
      const guarded = (...args: unknown[]): unknown => {
        this.statements++;
        if (Date.now() < this.busyUntil) throw new StoreBusy(`the database ${this.file} is locked by another process`);
        try {
          return original(...args);
        } catch (err) {
          if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY') || (err as { code?: string }).code?.startsWith('SQLITE_LOCKED')) {
            this.busyUntil = Date.now() + DB_RETRY_AFTER_BUSY_MS;
            this.onBusy(err as Error);
          }
          throw err;
        }
      };
      // better-sqlite3's method types are generic per statement; the wrapper takes and returns the same values.
      (stmt as unknown as Record<string, unknown>)[method] = guarded;
    }
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new StoreError(`the database ${this.file} was written by a newer parley (schema ${version}, this one knows ${MIGRATIONS.length}); upgrade parley-server`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  close(): void {
    if (this.db.open) {
      this.commit();
      this.db.close();
    }
  }

  /**
   * Write the history rows queued by addHistory in one transaction. The server calls this before it
   * writes anything to a socket, so no one sees a message whose row is not committed (a kill -9 loses
   * nothing acknowledged); it also runs on its own at the end of the event-loop turn. A failure is
   * reported to onWriteError (or onBusy for a lock) and the rows are dropped: history is a replay for
   * latecomers, and a full disk must not stop the room (issue 10).
   */
  commit(): void {
    this.commitScheduled = false;
    const rows = this.pendingHistory;
    if (rows.length === 0) return;
    this.pendingHistory = [];
    try {
      this.writeHistory(rows);
    } catch (err) {
      this.onWriteError(err as Error, rows.length);
    }
    if (this.due.length > 0) this.pruneGrown();
  }

  /** Cut back the rooms that grew by HISTORY_PRUNE_ROWS lines (each such prune deletes about that many rows). */
  private pruneGrown(): void {
    const due = this.due;
    this.due = [];
    for (const room of due) {
      try {
        this.pruneHistory(room, this.keep);
      } catch (err) {
        this.onPruneError(err as Error); // the room is cut back after HISTORY_PRUNE_ROWS more lines, or at maintenance
      }
    }
  }

  private readonly writeHistory = (rows: StoredMessage[]): void => {
    if (Date.now() < this.busyUntil) throw new StoreBusy(`the database ${this.file} is locked by another process`);
    // One statement (a single INSERT is atomic): no BEGIN and COMMIT around it.
    if (HISTORY_INSERT_ROWS.includes(rows.length)) return this.insertHistory(rows, 0, rows.length);
    // Made once: better-sqlite3 builds a new wrapper at every call of transaction().
    (this.insertHistoryRows ??= this.db.transaction((batch: StoredMessage[]) => {
      let at = 0;
      for (const size of HISTORY_INSERT_ROWS) {
        for (; batch.length - at >= size; at += size) this.insertHistory(batch, at, size);
      }
    }))(rows);
  };

  private insertHistoryRows: ((rows: StoredMessage[]) => void) | undefined;
  /** The history's INSERT of k rows, by k (HISTORY_INSERT_ROWS), prepared at first use. */
  private readonly historyInserts = new Map<number, Database.Statement>();

  /**
   * rows[at] to rows[at + size - 1] in one INSERT statement. Each statement run costs better-sqlite3 ~1 µs
   * of its own (the call, its checks, the reset) besides SQLite's work per row: a busy turn's hundreds of
   * lines went in one statement each (issue 15: the insert was 30% of the server's time at N = 10).
   */
  private insertHistory(rows: StoredMessage[], at: number, size: number): void {
    let insert = this.historyInserts.get(size);
    if (insert === undefined) {
      insert = this.db.prepare(`INSERT INTO history(id, room, from_name, text, time, action, notice) VALUES ${Array(size).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
      this.failFast(insert);
      this.historyInserts.set(size, insert);
    }
    if (size === 1) {
      // The open loop's commit of one line: its values as arguments, no array to build.
      const m = rows[at]!;
      insert.run(m.id, m.room, m.from, m.text, m.time, m.action ? 1 : 0, m.notice === true ? 1 : 0);
      return;
    }
    const values: (string | number)[] = new Array(size * 7);
    for (let i = 0, v = 0; i < size; i++) {
      const m = rows[at + i]!;
      values[v++] = m.id;
      values[v++] = m.room;
      values[v++] = m.from;
      values[v++] = m.text;
      values[v++] = m.time;
      values[v++] = m.action ? 1 : 0;
      values[v++] = m.notice === true ? 1 : 0;
    }
    insert.run(values);
  }

  // ---- message ids ----

  /** The first message id this run may use: above every id a previous run could have handed out. */
  firstMessageId(): number {
    return this.idCeiling + 1;
  }

  /** Called before id `id` is used; reserves another block when the reserved range runs out. */
  reserveId(id: number): void {
    if (id <= this.idCeiling) return;
    this.idCeiling = id + ID_BLOCK;
    this.st.setMeta.run('id_ceiling', this.idCeiling);
  }

  // ---- accounts ----

  user(key: string): UserRow | undefined {
    const r = this.st.user.get(key);
    return r && userRow(r);
  }

  users(): UserRow[] {
    return this.st.users.all().map(userRow);
  }

  /** Adds an account; false if the key is taken. `mustChange`: its password must be replaced at next login. */
  addUser(key: string, name: string, hash: string, now: number, mustChange = false): boolean {
    try {
      this.st.addUser.run(key, name, hash, now, nameSkeleton(name), mustChange ? 1 : 0);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw err;
    }
  }

  /** A registered name that looks like `name` (same nameSkeleton) but is another account, if any. */
  lookAlike(name: string): string | undefined {
    return this.st.lookAlike.get(nameSkeleton(name), foldName(name))?.name;
  }

  /**
   * Both things a guest's hello asks of the accounts, in one read: whether `name` is registered, and a
   * registered name that looks like it but is another account (as lookAlike). One statement where two ran
   * (issue 15, target 6: a join storm's hellos); a name's own account has its skeleton, so one index lookup
   * finds both.
   */
  accountsLike(name: string): { registered: boolean; lookAlike: string | undefined } {
    const key = foldName(name);
    const rows = this.st.sameSkeleton.all(nameSkeleton(name), key);
    return { registered: rows[0]?.key === key, lookAlike: rows.find((r) => r.key !== key)?.name };
  }

  /**
   * SQLite's data_version: it changes when another connection (another process: `parley-server user
   * passwd`, a backup restore) committed to the file, never for this one's own writes. Cheap enough to read
   * every tick; the hub then looks at what it keeps from the file (live logins' passwords).
   */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** A new password: it meets the rule, so the account no longer has to change it. */
  setHash(key: string, hash: string): void {
    this.st.setHash.run(hash, key);
  }

  /** Removes an account with its sessions, blocks and stored whispers; false if there was none. */
  removeUser(key: string): boolean {
    return this.st.removeUser.run(key).changes > 0;
  }

  setLastSeen(key: string, time: number): void {
    this.st.seen.run(time, key);
  }

  seenSince(time: number): { name: string; lastSeen: number }[] {
    return this.st.seenSince.all(time).map((r) => ({ name: r.name, lastSeen: r.last_seen }));
  }

  // ---- session tokens (only their SHA-256 is stored) ----

  /** A new token for the account `key`, valid until `expires` (ms); `meta` for its owner's list of sessions. */
  addSession(token: string, key: string, expires: number, meta?: SessionMeta): void {
    this.addSessionHash(hashToken(token), key, expires, meta);
  }

  /** addSession with the token already hashed (a cluster replica applies the journal, which holds only hashes). */
  addSessionHash(tokenHash: string, key: string, expires: number, meta?: SessionMeta): void {
    this.st.addSession.run(tokenHash, key, expires, meta?.id ?? randomBytes(SESSION_ID_BYTES).toString('hex'), meta?.created ?? null, meta?.created ?? null, meta?.from ?? null);
  }

  /**
   * Token rotation on resume: the live token `oldToken` of `key` is replaced by `newToken` (same session
   * id), valid until `expires`, last used `now` from `from`. False when `oldToken` is not live (ended,
   * expired, or already rotated by a concurrent resume): one UPDATE, so two resumes with one token cannot
   * both succeed on one database.
   */
  rotateSession(oldToken: string, newToken: string, key: string, now: number, expires: number, from: string): boolean {
    return this.rotateSessionHash(hashToken(oldToken), hashToken(newToken), key, now, expires, from);
  }

  rotateSessionHash(oldHash: string, newHash: string, key: string, now: number, expires: number, from: string): boolean {
    return this.st.rotateSession.run(newHash, expires, now, from, oldHash, key, now).changes > 0;
  }

  /** The live sessions of account `key`, most recently used first. */
  sessionsOf(key: string, now: number): StoredSession[] {
    return this.st.sessionsOf.all(key, now).map((r) => ({ id: r.id, tokenHash: r.token_hash, created: r.created, lastUsed: r.last_used, from: r.source, expires: r.expires }));
  }

  /** Ends every session of account `key` but the one whose token hashes to `keepHash` (none: ''); how many ended. */
  dropSessionsOf(key: string, keepHash = ''): number {
    return this.st.dropSessionsOf.run(key, keepHash).changes;
  }

  /** Ends the session `id` of account `key`; false if it has none by that id. */
  dropSessionById(key: string, id: string): boolean {
    return this.st.dropSessionById.run(key, id).changes > 0;
  }

  /** The account a live token belongs to. */
  sessionUser(token: string, now: number): string | undefined {
    return this.st.session.get(hashToken(token), now)?.user_key;
  }

  dropSession(token: string): void {
    this.dropSessionHash(hashToken(token));
  }

  dropSessionHash(tokenHash: string): void {
    this.st.dropSession.run(tokenHash);
  }

  expireSessions(now: number): number {
    return this.st.expireSessions.run(now).changes;
  }

  // ---- offline whispers ----

  addOffline(toKey: string, w: StoredWhisper): void {
    this.st.addOffline.run(w.id, toKey, w.from, w.to, w.text, w.time, foldName(w.from), w.source ?? null, Buffer.byteLength(w.text));
  }

  /** Bytes of stored whispers waiting from the sender `fromKey` (foldName), in all mailboxes. */
  offlineBytesFrom(fromKey: string): number {
    return this.st.offlineBytesFrom.get(fromKey)?.n ?? 0;
  }

  /** Bytes of stored whispers waiting from senders at `source` (sourceOf). */
  offlineBytesFromSource(source: string): number {
    return this.st.offlineBytesFromSource.get(source)?.n ?? 0;
  }

  /** Bytes of stored whispers waiting, all together. */
  offlineBytesTotal(): number {
    return this.st.offlineBytesTotal.get()?.n ?? 0;
  }

  /**
   * Whether the disk under the database has less than `minFreeBytes` free (fs.statfs, measured at most
   * every DISK_CHECK_EVERY_MS). New stored data (accounts, offline whispers, history) is refused then, so
   * a filling disk never reaches the point where SQLite cannot write at all.
   */
  lowOnDisk(now = Date.now()): boolean {
    if (this.file === ':memory:') return false;
    if (now - this.diskCheckedAt >= DISK_CHECK_EVERY_MS) {
      this.diskCheckedAt = now;
      try {
        const st = fs.statfsSync(path.dirname(path.resolve(this.file)));
        this.freeBytes = st.bavail * st.bsize;
      } catch {
        this.freeBytes = Infinity; // cannot measure: SQLite's own errors still tell
      }
    }
    return this.freeBytes < this.minFreeBytes;
  }

  offlineCount(toKey: string): number {
    return this.st.countOffline.get(toKey)?.n ?? 0;
  }

  offlineFor(toKey: string): StoredWhisper[] {
    return this.st.offlineFor.all(toKey).map((r) => ({ id: r.id, from: r.from_name, to: r.to_name, text: r.text, time: r.time }));
  }

  /** Forget delivered whispers: those for `toKey` up to id `upTo`. */
  dropOffline(toKey: string, upTo: number): void {
    this.st.dropOffline.run(toKey, upTo);
  }

  // ---- room history ----

  /**
   * Queue a room message for the history; commit() writes the queue in one transaction (one commit per
   * event-loop turn instead of one per message: a busy room's history costs a WAL commit per turn).
   * Reads of the history commit first.
   */
  addHistory(m: StoredMessage): void {
    this.pendingHistory.push(m);
    this.recent.delete(m.room);
    if (this.keep > 0) {
      const grown = (this.grown.get(m.room) ?? 0) + 1;
      this.grown.set(m.room, grown);
      if (grown === HISTORY_PRUNE_ROWS) this.due.push(m.room);
    }
    if (!this.commitScheduled) {
      this.commitScheduled = true;
      setImmediate(() => this.commit());
    }
  }

  /**
   * The newest `limit` messages of one room, oldest first; with `after`, only those with a greater id (the
   * newest `limit` of those are among the newest `limit` of all, so the kept copy answers both). The rows
   * may be shared with other callers: read them, do not change them.
   */
  recentHistory(room: string, limit: number, after = -1): readonly StoredMessage[] {
    let kept = this.recent.get(room);
    // Taken out and put back: a Map iterates in insertion order, so the first key is the least recently used.
    this.recent.delete(room);
    if (kept?.limit !== limit) {
      this.commit();
      const rows = this.st.recent.all(room, -1, limit).map((r) => ({ id: r.id, room, from: r.from_name, text: r.text, time: r.time, action: r.action === 1, ...(r.notice === 1 && { notice: true }) }));
      kept = { limit, rows };
      if (this.recent.size >= HISTORY_CACHE_ROOMS) this.recent.delete(this.recent.keys().next().value!);
    }
    this.recent.set(room, kept);
    return after < 0 ? kept.rows : kept.rows.filter((m) => m.id > after);
  }

  /** The rooms whose history is kept in memory, least recently replayed first (for tests). */
  cachedHistoryRooms(): string[] {
    return [...this.recent.keys()];
  }

  /**
   * How many lines each room keeps (the server's --history): once a room has grown by HISTORY_PRUNE_ROWS
   * lines since it was last cut back, the commit that wrote them cuts it back to `lines`.
   */
  keepHistory(lines: number): void {
    this.keep = lines;
  }

  /** Keep only the newest `keep` messages of one room. */
  pruneHistory(room: string, keep: number): void {
    this.commit();
    this.recent.delete(room);
    this.grown.delete(room);
    // The newest id to go, then a DELETE bounded by it: with the bound given as a subquery SQLite deleted in
    // two passes (each row's key copied to a temporary table, then found again to delete it), twice the work.
    const cut = this.st.historyCut.get(room, keep);
    if (cut !== undefined) this.st.pruneHistory.run(room, cut.id);
  }

  /** History written before rooms existed (room '') becomes the default room's. */
  adoptHistory(defaultRoom: string): void {
    this.recent.clear();
    this.st.adoptHistory.run(defaultRoom);
  }

  // ---- server administrators ----

  isAdmin(key: string): boolean {
    return this.st.isAdmin.get(key)?.admin === 1;
  }

  /** Make an account an administrator or not; false if there is no such account. */
  setAdmin(key: string, admin: boolean): boolean {
    return this.st.setAdmin.run(admin ? 1 : 0, key).changes > 0;
  }

  // ---- rooms ----

  /** Every kept room with its operators, bans, mutes and remembered members. */
  rooms(): StoredRoom[] {
    const byKey = new Map<string, StoredRoom>();
    for (const r of this.st.rooms.all()) {
      byKey.set(r.key, {
        key: r.key,
        name: r.name,
        topic: r.topic,
        ...(r.topic_by !== null && { topicBy: r.topic_by }),
        ...(r.topic_time !== null && { topicTime: r.topic_time }),
        locked: r.locked === 1,
        operators: [],
        bans: [],
        mutes: [],
        members: [],
      });
    }
    for (const o of this.st.roomOps.all()) byKey.get(o.room_key)?.operators.push({ key: o.user_key, name: o.user_name });
    for (const b of this.st.roomBans.all()) {
      byKey.get(b.room_key)?.bans.push({ key: b.user_key, name: b.user_name, ...(b.addr !== null && { addr: b.addr }), ...(b.until !== null && { until: b.until }), by: b.by_name });
    }
    for (const m of this.st.roomMutes.all()) byKey.get(m.room_key)?.mutes.push({ key: m.user_key, ...(m.until !== null && { until: m.until }) });
    for (const m of this.st.roomMembers.all()) byKey.get(m.room_key)?.members.push(m.user_key);
    return [...byKey.values()];
  }

  addRoom(key: string, name: string, now: number): void {
    this.st.addRoom.run(key, name, now);
  }

  /** Forget a room with everything in it: operators, bans, mutes, members and its history. */
  dropRoom(key: string): void {
    this.commit();
    this.db.transaction(() => {
      this.st.dropRoom.run(key);
      this.recent.delete(key);
      this.grown.delete(key);
      this.st.dropRoomHistory.run(key);
    })();
  }

  /** Forget a room because it is idle (nobody in it, nothing to keep): as dropRoom, but a cluster says why. */
  forgetIdleRoom(key: string): void {
    this.dropRoom(key);
  }

  setTopic(key: string, topic: string, by: string | undefined, time: number | undefined): void {
    this.st.setTopic.run(topic, by ?? null, time ?? null, key);
  }

  setLocked(key: string, locked: boolean): void {
    this.st.setLocked.run(locked ? 1 : 0, key);
  }

  addOperator(room: string, userKey: string, name: string): void {
    this.st.addOp.run(room, userKey, name);
  }

  dropOperator(room: string, userKey: string): void {
    this.st.dropOp.run(room, userKey);
  }

  addBan(room: string, ban: StoredBan): void {
    this.st.addBan.run(room, ban.key, ban.name, ban.addr ?? null, ban.until ?? null, ban.by);
  }

  dropBan(room: string, userKey: string): void {
    this.st.dropBan.run(room, userKey);
  }

  addMute(room: string, userKey: string, until: number | undefined): void {
    this.st.addMute.run(room, userKey, until ?? null);
  }

  dropMute(room: string, userKey: string): void {
    this.st.dropMute.run(room, userKey);
  }

  addMember(room: string, userKey: string): void {
    this.st.addMember.run(room, userKey);
  }

  dropMember(room: string, userKey: string): void {
    this.st.dropMember.run(room, userKey);
  }

  // ---- blocks ----

  blocks(blockerKey: string): { key: string; name: string }[] {
    return this.st.blocks.all(blockerKey).map((r) => ({ key: r.blocked_key, name: r.blocked_name }));
  }

  addBlock(blockerKey: string, blockedKey: string, blockedName: string): void {
    this.st.addBlock.run(blockerKey, blockedKey, blockedName);
  }

  dropBlock(blockerKey: string, blockedKey: string): void {
    this.st.dropBlock.run(blockerKey, blockedKey);
  }

  /** A number kept in the meta table (message id ceiling, the running server's pid), if set. */
  metaValue(key: string): number | undefined {
    return this.st.getMeta.get(key)?.value;
  }

  setMetaValue(key: string, value: number): void {
    this.st.setMeta.run(key, value);
  }

  /**
   * The rows of the shared tables (SHARED_TABLES: accounts, sessions, offline whispers, blocks, rooms), as
   * one JSON text tagged with their shape (SHARED_FORMAT) and, for the operator, the schema version: a
   * cluster's snapshot of its replica (cluster/snapshot.ts).
   * History and meta are left out: each server keeps its own.
   */
  dumpShared(): string {
    const tables: Record<string, unknown[]> = {};
    for (const t of SHARED_TABLES) tables[t] = this.db.prepare(`SELECT * FROM ${t}`).all();
    return JSON.stringify({ format: SHARED_FORMAT, schema: SCHEMA_VERSION, tables });
  }

  /**
   * Replace the shared tables' rows with those of `text` (from dumpShared), in one transaction. Throws
   * StoreError when the text is not a dump or its shared tables are of a newer shape (SHARED_FORMAT) than
   * this program's; the schema version of the server that wrote it does not matter. A dump without `format`
   * (written before it existed) is judged by its schema version, as it was then.
   */
  loadShared(text: string): void {
    let dump: { format?: unknown; schema?: unknown; tables?: Record<string, Record<string, unknown>[]> };
    try {
      dump = JSON.parse(text) as typeof dump;
    } catch {
      throw new StoreError('the snapshot is not JSON');
    }
    if (typeof dump.tables !== 'object' || dump.tables === null) throw new StoreError('the snapshot has no tables');
    if (dump.format !== undefined) {
      if (typeof dump.format !== 'number' || dump.format > SHARED_FORMAT) {
        throw new StoreError(`the snapshot's shared tables are of format ${String(dump.format)}; this program reads up to ${SHARED_FORMAT}: upgrade it`);
      }
    } else if (typeof dump.schema !== 'number' || dump.schema > SCHEMA_VERSION) {
      throw new StoreError(`the snapshot is of schema ${String(dump.schema)}; this program reads up to ${SCHEMA_VERSION}: upgrade it`);
    }
    const tables = dump.tables;
    this.db.transaction(() => {
      // Children first when deleting, parents first when inserting (foreign keys are on).
      for (const t of [...SHARED_TABLES].reverse()) this.db.prepare(`DELETE FROM ${t}`).run();
      for (const t of SHARED_TABLES) {
        const inserts = new Map<string, Database.Statement>();
        for (const row of tables[t] ?? []) {
          const cols = Object.keys(row);
          const shape = cols.join(', ');
          let insert = inserts.get(shape);
          if (!insert) {
            if (!cols.every((c) => /^[a-z_]+$/.test(c))) throw new StoreError(`the snapshot names a column of ${t} oddly`);
            insert = this.db.prepare(`INSERT INTO ${t}(${shape}) VALUES (${cols.map(() => '?').join(', ')})`);
            inserts.set(shape, insert);
          }
          insert.run(...cols.map((c) => row[c]));
        }
      }
    })();
  }

  /** SQLite's own check of the file (tests, `parley-server` at startup if asked). */
  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }
}
