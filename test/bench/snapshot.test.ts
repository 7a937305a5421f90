import { afterEach, describe, expect, it } from 'vitest';
import { fillShared, measureDump, snapshotLines, snapshotSummary, type SnapshotFigures } from '../../bench/snapshot.js';
import { Store } from '../../src/server/store.js';

// bench:cluster reports the cluster's snapshot (Store.dumpShared): its size and the time the call holds the
// event loop. The rows and bytes it reports are counted in the real Store's own dump; the summary groups
// the runs' snapshots by what they are of.

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

const figures = (what: string, bytes: number, ms: number, rows: Record<string, number> = { users: 2 }): SnapshotFigures => ({
  what,
  rows,
  bytes,
  rounds: 5,
  medianMs: ms,
  maxMs: ms * 2,
  cpuMs: ms / 2,
});

describe("the cluster's snapshot as bench:cluster reports it", () => {
  it('counts the rows of every shared table and the bytes of the dump the real Store makes', () => {
    const store = new Store(':memory:');
    stores.push(store);
    fillShared(store, 30, 7);
    const f = measureDump('a small cluster', store, 3);
    expect(f.rows).toEqual({ users: 30, rooms: 7, sessions: 30, offline: 0, blocks: 0, room_ops: 7, room_bans: 0, room_mutes: 0, room_members: 7 });
    expect(f.bytes).toBe(Buffer.byteLength(store.dumpShared()));
    expect(f.rounds).toBe(3);
    // The dump loads into another store and gives the same text: the figures are of a real snapshot.
    const other = new Store(':memory:');
    stores.push(other);
    other.loadShared(store.dumpShared());
    expect(other.dumpShared()).toBe(store.dumpShared());
  });

  it('prints the size in KiB or MiB and only the tables that have rows', () => {
    const [small, large] = snapshotLines([figures('the step', 2048, 0.25, { users: 0, rooms: 2, room_members: 40 }), figures('a big one', 8.5 * 1024 * 1024, 674)]);
    expect(small).toBe('snapshot of the step: 2.0 KiB (42 rows: rooms 2, room_members 40); dumpShared holds the event loop 0.25 ms (median of 5, max 0.50), 0.13 ms CPU a call');
    expect(large).toContain('snapshot of a big one: 8.50 MiB (2 rows: users 2)');
  });

  it('summarises each kind of snapshot over the runs, saying how many runs had it', () => {
    const lines = snapshotSummary([[figures('the step', 1024, 1), figures('a big one', 2048, 10)], [figures('the step', 3072, 3, { users: 2, rooms: 2 }), figures('a big one', 2048, 30)], []]);
    expect(lines).toEqual([
      'snapshot of the step, 2 of 3 runs: 2.00 KiB (1.00–3.00), 2–4 rows; dumpShared holds the event loop 2.00 ms (1.00–3.00) (median of each run\'s calls), 1.00 ms (0.500–1.50) CPU a call',
      'snapshot of a big one, 2 of 3 runs: 2.00 KiB, 2 rows; dumpShared holds the event loop 20.0 ms (10.0–30.0) (median of each run\'s calls), 10.0 ms (5.00–15.0) CPU a call',
    ]);
  });
});
