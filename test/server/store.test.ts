import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hashToken, PRUNE_HISTORY_SQL, SCHEMA_VERSION, SHARED_FORMAT, Store, StoreError } from '../../src/server/store.js';
import { tempDb } from './helpers.js';
import { HISTORY_CACHE_ROOMS, HISTORY_PRUNE_ROWS, MAX_TEXT_CHARS } from '../../src/wire/limits.js';
import { Hub } from '../../src/server/hub.js';
import { FakeOutbox } from '../helpers/fake-outbox.js';

/** A database file of today's schema taken back to schema `version` by `sql` (which may add rows too). */
function olderSchema(version: number, sql: string): string {
  const db = tempDb();
  new Store(db).close();
  const back = new Database(db);
  back.pragma(`user_version = ${version}`);
  back.exec(sql);
  back.close();
  return db;
}

describe('Store', () => {
  it('creates the file in WAL mode and records the schema version', () => {
    const db = tempDb();
    new Store(db).close();
    const raw = new Database(db, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('migrates the sessions of schema 4: each token keeps working, gets an id, and has no times', () => {
    // Back to schema 4's sessions table (no id, times or source), with one live token in it.
    const db = olderSchema(
      4,
      `ALTER TABLE sessions DROP COLUMN id; ALTER TABLE sessions DROP COLUMN created; ALTER TABLE sessions DROP COLUMN last_used; ALTER TABLE sessions DROP COLUMN source;
       ALTER TABLE history DROP COLUMN notice;
       INSERT INTO users(key, name, hash, created) VALUES ('bob', 'bob', 'h', 0);
       INSERT INTO sessions(token_hash, user_key, expires) VALUES ('${hashToken('old-token')}', 'bob', 10000);`,
    );
    const s = new Store(db);
    expect(s.sessionUser('old-token', 50)).toBe('bob');
    expect(s.sessionsOf('bob', 50)).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{8}$/), tokenHash: hashToken('old-token'), created: null, lastUsed: null, from: null, expires: 10_000 }]);
    expect(s.rotateSession('old-token', 'new-token', 'bob', 60, 20_000, '127.0.0.1')).toBe(true);
    expect([s.sessionUser('old-token', 70), s.sessionUser('new-token', 70)]).toEqual([undefined, 'bob']);
    s.close();
  });

  it('migrates the history of schema 5: its lines are replayed as before, and notices are kept from then on', () => {
    const db = olderSchema(5, "ALTER TABLE history DROP COLUMN notice; INSERT INTO history(id, room, from_name, text, time, action) VALUES (1, '#lobby', 'a', 'old line', 1, 0);");
    const s = new Store(db);
    s.addHistory({ id: 2, room: '#lobby', from: 'bot', text: 'a notice', time: 2, action: false, notice: true });
    expect(s.recentHistory('#lobby', 5)).toEqual([
      { id: 1, room: '#lobby', from: 'a', text: 'old line', time: 1, action: false },
      { id: 2, room: '#lobby', from: 'bot', text: 'a notice', time: 2, action: false, notice: true },
    ]);
    s.close();
  });

  it('migrates the history of schema 6 (a rowid table and an index) into one table keyed by room: every line, in order', () => {
    const db = olderSchema(
      6,
      `DROP TABLE history;
       CREATE TABLE history (id INTEGER PRIMARY KEY, from_name TEXT NOT NULL, text TEXT NOT NULL, time INTEGER NOT NULL, action INTEGER NOT NULL DEFAULT 0,
         room TEXT NOT NULL DEFAULT '', notice INTEGER NOT NULL DEFAULT 0);
       CREATE INDEX history_room ON history(room, id);
       INSERT INTO history(id, room, from_name, text, time, action, notice) VALUES
         (3, '#lobby', 'a', 'third', 3, 0, 0), (1, '#lobby', 'a', 'first', 1, 1, 0), (2, '#dev', 'b', 'elsewhere', 2, 0, 1), (4, '#lobby', 'c', 'fourth', 4, 0, 1);`,
    );
    const s = new Store(db);
    expect(s.recentHistory('#lobby', 50)).toEqual([
      { id: 1, room: '#lobby', from: 'a', text: 'first', time: 1, action: true },
      { id: 3, room: '#lobby', from: 'a', text: 'third', time: 3, action: false },
      { id: 4, room: '#lobby', from: 'c', text: 'fourth', time: 4, action: false, notice: true },
    ]);
    expect(s.recentHistory('#dev', 50)).toEqual([{ id: 2, room: '#dev', from: 'b', text: 'elsewhere', time: 2, action: false, notice: true }]);
    s.close();
    const raw = new Database(db, { readonly: true });
    expect(raw.prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'history' ORDER BY name").all()).toEqual([{ name: 'history' }]);
    raw.close();
  });

  it('refuses a database from a newer parley with a clear message', () => {
    const db = tempDb();
    const raw = new Database(db);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => new Store(db)).toThrow(/written by a newer parley/);
  });

  it('fails at startup, as a StoreError, when the file cannot be written', () => {
    expect(() => new Store('/nonexistent-dir/parley.db')).toThrow(StoreError);
    expect(() => new Store('/nonexistent-dir/parley.db')).toThrow('the directory /nonexistent-dir does not exist');
    const db = tempDb();
    new Store(db).close();
    fs.chmodSync(db, 0o444);
    fs.chmodSync(path.dirname(db), 0o555);
    try {
      // root ignores file modes; only assert where they apply.
      if (process.getuid?.() !== 0) expect(() => new Store(db)).toThrow(/cannot use the database .*: .*readonly/i);
    } finally {
      fs.chmodSync(path.dirname(db), 0o755);
      fs.chmodSync(db, 0o644);
    }
  });

  it('keeps only the newest history rows of a room when pruned, in order, and leaves other rooms alone', () => {
    const s = new Store(':memory:');
    for (let id = 1; id <= 10; id++) s.addHistory({ id, room: '#lobby', from: 'a', text: `m${id}`, time: id, action: id === 10 });
    for (let id = 11; id <= 14; id++) s.addHistory({ id, room: '#dev', from: 'a', text: `d${id}`, time: id, action: false });
    s.pruneHistory('#lobby', 3);
    expect(s.recentHistory('#lobby', 50).map((m) => [m.text, m.action])).toEqual([
      ['m8', false],
      ['m9', false],
      ['m10', true],
    ]);
    expect(s.recentHistory('#lobby', 2).map((m) => m.text)).toEqual(['m9', 'm10']);
    expect(s.recentHistory('#dev', 50).map((m) => m.text)).toEqual(['d11', 'd12', 'd13', 'd14']);
    s.close();
  });

  it('a busy room is cut back to its history as it grows, not only at maintenance: its table never holds more than --history + HISTORY_PRUNE_ROWS lines', () => {
    const db = tempDb();
    const store = new Store(db);
    const out = new FakeOutbox();
    // No tick: the maintenance that prunes every MAINTENANCE_EVERY_MS never runs here.
    const hub = new Hub(out, { store, historySize: 50, ratePerSecond: 0, clock: () => 1_700_000_000_000 });
    hub.connect(1, '10.0.0.1', 4000);
    hub.receive(1, JSON.stringify({ type: 'hello', name: 'alice', version: 2 }));
    const raw = new Database(db, { readonly: true });
    const rows = raw.prepare<[], { n: number }>("SELECT count(*) AS n FROM history WHERE room = '#lobby'");
    let most = 0;
    for (let i = 0; i < 5000; i++) {
      hub.receive(1, JSON.stringify({ type: 'say', text: `line ${i}` }));
      if (i % 100 === 99) {
        store.commit(); // as the server does before each flush of its sockets
        most = Math.max(most, rows.get()!.n);
      }
    }
    raw.close();
    expect(out.take(1).filter((m) => m.type === 'message')).toHaveLength(5000);
    expect(most).toBeGreaterThan(50);
    expect(most).toBeLessThanOrEqual(50 + HISTORY_PRUNE_ROWS);
    expect(store.recentHistory('#lobby', 50).map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, k) => `line ${4950 + k}`));
    store.close();
  });

  it("commits a busy turn's room lines in a few INSERT statements, not one per line, and every line reads back whole", () => {
    // Counted, not timed: each statement run costs better-sqlite3 about a microsecond of its own, so a turn
    // of 200 lines paid 200 of them (issue 15, target 2 at N = 10).
    const store = new Store(':memory:');
    const out = new FakeOutbox();
    const hub = new Hub(out, { store, historySize: 1000, ratePerSecond: 0, clock: () => 1_700_000_000_000 });
    hub.connect(1, '10.0.0.1', 4000);
    hub.receive(1, JSON.stringify({ type: 'hello', name: 'alice', version: 2 }));
    store.commit();
    for (let i = 0; i < 200; i++) hub.receive(1, JSON.stringify({ type: 'say', text: `line ${i}`, ...(i % 7 === 0 && { action: true }), ...(i % 11 === 0 && { notice: true }) }));
    const before = store.statements;
    store.commit(); // as the server does before it writes the turn's frames
    // 200 = 3 × 64 + 2 × 4: five statements; at most floor(n / 64) + 9 for any n.
    expect(store.statements - before).toBeLessThanOrEqual(Math.floor(200 / 64) + 9);
    const said = out.take(1).filter((m) => m.type === 'message');
    expect(said).toHaveLength(200);
    expect(store.recentHistory('#lobby', 1000)).toEqual(said.map(({ type: _type, ...m }) => ({ action: false, ...m })));
    store.close();
  });

  it('a commit of any number of lines stores each line once, in order, with its room and flags', () => {
    const s = new Store(':memory:');
    let id = 0;
    for (let n = 1; n <= 150; n++) {
      const rows = Array.from({ length: n }, () => {
        id++;
        return { id, room: id % 3 === 0 ? '#dev' : '#lobby', from: `u${id % 5}`, text: `t${id}`, time: id, action: id % 2 === 0, ...(id % 5 === 0 && { notice: true }) };
      });
      for (const r of rows) s.addHistory(r);
      s.commit();
    }
    const all = [...s.recentHistory('#lobby', 20_000), ...s.recentHistory('#dev', 20_000)].sort((a, b) => a.id - b.id);
    expect(all).toHaveLength(id);
    expect(all.every((m, i) => m.id === i + 1 && m.text === `t${m.id}` && m.from === `u${m.id % 5}` && m.room === (m.id % 3 === 0 ? '#dev' : '#lobby') && m.action === (m.id % 2 === 0) && (m.notice === true) === (m.id % 5 === 0))).toBe(true);
    s.close();
  });

  it("cuts a room's history back in one pass over its key range: no temporary copy of the keys to delete", () => {
    // SQLite's own plan, counted rather than timed: with the bound as a subquery it copied each key to a
    // temporary table (OpenEphemeral) and found it again to delete it, about twice the work per row
    // (1.2-1.4 against 0.7 µs per row deleted), and a busy room deletes a row for every line it keeps.
    const db = tempDb();
    new Store(db).close();
    const raw = new Database(db, { readonly: true });
    const ops = raw.prepare<unknown[], { opcode: string }>(`EXPLAIN ${PRUNE_HISTORY_SQL}`).all('#lobby', 1).map((r) => r.opcode);
    raw.close();
    expect(ops).toContain('Delete');
    expect(ops).not.toContain('OpenEphemeral');
  });

  it('the history a join replays follows every change: a new line, a prune, a closed room, hello.last', () => {
    const s = new Store(':memory:');
    const texts = (room: string, limit = 3, after?: number) => s.recentHistory(room, limit, after).map((m) => m.text);
    for (let id = 1; id <= 4; id++) s.addHistory({ id, room: '#lobby', from: 'a', text: `m${id}`, time: id, action: false });
    expect(texts('#lobby')).toEqual(['m2', 'm3', 'm4']);
    expect(texts('#lobby')).toEqual(['m2', 'm3', 'm4']); // read again (kept), unchanged
    s.addHistory({ id: 5, room: '#lobby', from: 'a', text: 'm5', time: 5, action: false });
    expect(texts('#lobby')).toEqual(['m3', 'm4', 'm5']);
    expect(texts('#lobby', 3, 3)).toEqual(['m4', 'm5']);
    expect(texts('#lobby', 3, 5)).toEqual([]);
    expect(texts('#lobby', 2)).toEqual(['m4', 'm5']);
    s.pruneHistory('#lobby', 1);
    expect(texts('#lobby')).toEqual(['m5']);
    s.addRoom('#dev', '#dev', 1);
    s.addHistory({ id: 6, room: '#dev', from: 'a', text: 'd6', time: 6, action: false });
    expect(texts('#dev')).toEqual(['d6']);
    s.dropRoom('#dev');
    expect(texts('#dev')).toEqual([]);
    s.close();
  });

  it('a short room line (a row under ~1,000 bytes) costs one page of the write-ahead log when committed, not one per table and index', () => {
    // Work counted, not timed: each committed page is a WAL frame (a 24-byte header and the page, each its
    // own pwrite) that a checkpoint copies again later. The history is pruned to a few rows per room, so
    // its pages stay few: a line touches one leaf of one B-tree keyed by (room, id).
    const db = tempDb();
    const s = new Store(db);
    const line = (id: number) => s.addHistory({ id, room: '#lobby', from: 'alice', text: `line ${id}`, time: id, action: false });
    for (let id = 1; id <= 5; id++) {
      line(id);
      s.commit();
    }
    const wal = () => fs.statSync(`${db}-wal`).size;
    const pageBytes = 4096 + 24;
    const before = wal();
    for (let id = 6; id <= 15; id++) {
      line(id);
      s.commit();
    }
    expect((wal() - before) / pageBytes).toBe(10);
    expect(s.recentHistory('#lobby', 3).map((m) => m.text)).toEqual(['line 13', 'line 14', 'line 15']);
    s.close();
  });

  it('a long room line spills past its leaf: 3 WAL frames for 1,900 bytes, 4 for a maximal line, 1 more when it reuses a freed page', () => {
    // A row of a WITHOUT ROWID table keeps at most ~1,000 bytes in its leaf (4 KiB pages); a longer one
    // keeps 489 there and the rest in overflow pages of 4,092 bytes. MAX_TEXT_CHARS code points of 4 UTF-8
    // bytes each are 8,000 bytes: two overflow pages. A new page grows the file (page 1 counts the pages);
    // a page freed by a prune is taken from the free list (its trunk page and page 1's free count change).
    const db = tempDb();
    const s = new Store(db);
    let id = 0;
    const wal = () => fs.statSync(`${db}-wal`).size;
    const frames = (text: string, count: number): number[] =>
      Array.from({ length: count }, () => {
        const before = wal();
        s.addHistory({ id: ++id, room: '#lobby', from: 'alice', text, time: id, action: false });
        s.commit();
        return (wal() - before) / (4096 + 24);
      });
    const long = 'x'.repeat(1900);
    const maximal = '\u{1F600}'.repeat(MAX_TEXT_CHARS);
    expect(Buffer.byteLength(maximal)).toBe(8000);
    frames('short', 5);
    // A new database's free list holds the two pages migration 7 freed (the old table's and its index's):
    // the first long line takes the one listed on the trunk page (4 frames: the trunk changes too), the
    // second the trunk page itself; the next ones grow the file.
    expect([frames(long, 4), frames(maximal, 2)]).toEqual([[4, 3, 3, 3], [4, 4]]);
    // The prune frees the overflow pages of all but the newest line; new lines take them from the free list.
    s.pruneHistory('#lobby', 1);
    expect([frames(long, 2), frames(maximal, 1)]).toEqual([[4, 4], [5]]);
    // A short line still costs one frame (its leaf) in the same tree.
    expect(frames('short', 3)).toEqual([1, 1, 1]);
    // Read back whole from its overflow pages.
    expect(s.recentHistory('#lobby', 4).map((m) => m.text)).toEqual([maximal, 'short', 'short', 'short']);
    s.close();
  });

  it('keeps the history of at most HISTORY_CACHE_ROOMS rooms in memory, dropping the least recently replayed, and every replay stays right', () => {
    const s = new Store(':memory:');
    const rooms = Array.from({ length: HISTORY_CACHE_ROOMS + 10 }, (_, i) => `#r${i}`);
    rooms.forEach((room, i) => s.addHistory({ id: i + 1, room, from: 'a', text: `line of ${room}`, time: i, action: false }));
    for (const room of rooms) {
      expect(s.recentHistory(room, 5).map((m) => m.text)).toEqual([`line of ${room}`]);
      // #r0 is replayed again and again (a busy room): it stays while the rooms replayed once come and go.
      expect(s.recentHistory('#r0', 5).map((m) => m.text)).toEqual(['line of #r0']);
    }
    const cached = s.cachedHistoryRooms();
    expect(cached).toHaveLength(HISTORY_CACHE_ROOMS);
    expect(cached).toContain('#r0');
    expect(cached).not.toContain('#r1');
    expect(cached.at(-1)).toBe('#r0');
    // A room dropped from memory is read again, with what was added meanwhile.
    s.addHistory({ id: 1000, room: '#r1', from: 'b', text: 'later', time: 1000, action: false });
    expect(s.recentHistory('#r1', 5).map((m) => m.text)).toEqual(['line of #r1', 'later']);
    expect(s.cachedHistoryRooms()).toHaveLength(HISTORY_CACHE_ROOMS);
    s.close();
  });

  it('removing an account removes its sessions, blocks and waiting whispers', () => {
    const s = new Store(':memory:');
    s.addUser('bob', 'Bob', 'h', 1);
    s.addSession('tok', 'bob', 100);
    s.addBlock('bob', 'eve', 'eve');
    s.addOffline('bob', { id: 1, from: 'alice', to: 'Bob', text: 'hi', time: 1 });
    expect(s.sessionUser('tok', 50)).toBe('bob');
    expect(s.sessionUser('tok', 100)).toBeUndefined(); // expired
    expect(s.removeUser('bob')).toBe(true);
    expect([s.sessionUser('tok', 50), s.blocks('bob'), s.offlineFor('bob')]).toEqual([undefined, [], []]);
    s.close();
  });

  it("a cluster snapshot loads whatever schema wrote it when its shared tables' shape is known, and is refused with one line when it is newer", () => {
    const a = new Store(':memory:');
    a.addUser('bob', 'Bob', 'h', 1);
    a.addBlock('bob', 'eve', 'eve');
    const dump = JSON.parse(a.dumpShared()) as { format: number; schema: number };
    a.close();
    // A newer server whose migration touched history only (as schema 7 did): its snapshot must still load here.
    const b = new Store(':memory:');
    b.loadShared(JSON.stringify({ ...dump, schema: SCHEMA_VERSION + 1 }));
    expect([b.user('bob')?.name, b.blocks('bob')]).toEqual(['Bob', [{ key: 'eve', name: 'eve' }]]);
    expect(() => b.loadShared(JSON.stringify({ ...dump, format: SHARED_FORMAT + 1 }))).toThrow(
      new StoreError(`the snapshot's shared tables are of format ${SHARED_FORMAT + 1}; this program reads up to ${SHARED_FORMAT}: upgrade it`),
    );
    expect(b.user('bob')?.name).toBe('Bob'); // a refused snapshot changes nothing
    b.close();
  });

  it('never hands out a message id twice across restarts', () => {
    const db = tempDb();
    const a = new Store(db);
    const first = a.firstMessageId();
    a.reserveId(first);
    a.close();
    const b = new Store(db);
    expect(b.firstMessageId()).toBeGreaterThan(first);
    b.close();
  });
});
