// A cluster's snapshot (Store.dumpShared: the shared tables as one JSON text, written to Redis by one node
// now and then, src/server/cluster/snapshot.ts): how big it is and how long the call holds the event loop.
// dumpShared is synchronous, so its wall time is the time the node's event loop is held; its CPU time is
// given beside it, since on a loaded machine the wall time also counts waiting for a CPU.
// bench/cluster.ts measures it at the cluster step's state and at a large one (fillShared).
import { spread } from './stats.js';

/** The store's side that is measured (a Store or ReplicaStore of the built server). */
export interface Dumps {
  dumpShared(): string;
}

/** The store's side that fills it (Store's own methods, as the server and the journal use them). */
export interface SharedTables {
  addUser(key: string, name: string, hash: string, now: number): boolean;
  addSessionHash(tokenHash: string, key: string, expires: number): void;
  addRoom(key: string, name: string, now: number): void;
  addOperator(room: string, userKey: string, name: string): void;
  addMember(room: string, userKey: string): void;
}

/** One measured snapshot. */
export interface SnapshotFigures {
  /** What state it is of ("the cluster step's", "10,000 accounts and 10,000 rooms"). */
  what: string;
  /** Rows per shared table, counted in the snapshot itself. */
  rows: Record<string, number>;
  /** The snapshot's size, UTF-8 bytes (what goes to Redis). */
  bytes: number;
  /** Calls timed. */
  rounds: number;
  /** Wall time of one call (the event loop held), median and maximum over the rounds, ms. */
  medianMs: number;
  maxMs: number;
  /** CPU time of this process per call (user + system), ms. */
  cpuMs: number;
}

/** Time `rounds` calls of `store.dumpShared()` and count what the snapshot holds. */
export function measureDump(what: string, store: Dumps, rounds = 5): SnapshotFigures {
  const wall: number[] = [];
  let text = '';
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    text = store.dumpShared();
    wall.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  wall.sort((a, b) => a - b);
  const { tables } = JSON.parse(text) as { tables: Record<string, unknown[]> };
  return {
    what,
    rows: Object.fromEntries(Object.entries(tables).map(([t, r]) => [t, r.length])),
    bytes: Buffer.byteLength(text),
    rounds,
    medianMs: wall[Math.floor((rounds - 1) / 2)]!,
    maxMs: wall[rounds - 1]!,
    cpuMs: (cpu.user + cpu.system) / 1000 / rounds,
  };
}

/**
 * Fill `store` with `accounts` registered accounts (each with one live session) and `rooms` rooms (each with
 * an operator and a member, one of the accounts): a large cluster's shared state. As the server keys them:
 * an account and a room by its folded name, a session by its token's SHA-256 in hex; a password hash in
 * passwords.ts's format at the default cost (scrypt$N$r$p$salt$key, 16 and 32 bytes in base64).
 */
export function fillShared(store: SharedTables, accounts: number, rooms: number, now = Date.now()): void {
  const hash = `scrypt$131072$8$1$${'s'.repeat(22)}==$${'k'.repeat(43)}=`;
  for (let i = 0; i < accounts; i++) {
    store.addUser(`user${i}`, `user${i}`, hash, now);
    store.addSessionHash(i.toString(16).padStart(64, '0'), `user${i}`, now + 86_400_000);
  }
  for (let i = 0; i < rooms; i++) {
    store.addRoom(`#room${i}`, `#room${i}`, now);
    if (accounts > 0) {
      store.addOperator(`#room${i}`, `user${i % accounts}`, `user${i % accounts}`);
      store.addMember(`#room${i}`, `user${i % accounts}`);
    }
  }
}

/** Total rows of a snapshot. */
export const totalRows = (f: SnapshotFigures): number => Object.values(f.rows).reduce((a, b) => a + b, 0);

/** One line per snapshot, for the step's output. */
export function snapshotLines(figures: SnapshotFigures[]): string[] {
  return figures.map((f) => {
    const rows = Object.entries(f.rows)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
      .join(', ');
    const size = f.bytes >= 1024 * 1024 ? `${(f.bytes / (1024 * 1024)).toFixed(2)} MiB` : `${(f.bytes / 1024).toFixed(1)} KiB`;
    return `snapshot of ${f.what}: ${size} (${totalRows(f).toLocaleString('en-US')} rows${rows === '' ? '' : `: ${rows}`}); dumpShared holds the event loop ${f.medianMs.toFixed(2)} ms (median of ${f.rounds}, max ${f.maxMs.toFixed(2)}), ${f.cpuMs.toFixed(2)} ms CPU a call`;
  });
}

/**
 * bench:summary's lines: per kind of snapshot (its `what`), the median (range) over the runs of its size,
 * rows, the event loop's hold and the CPU a call. `runs` holds each run's snapshots (none in files from
 * before they were measured: counted in "of N runs").
 */
export function snapshotSummary(runs: SnapshotFigures[][]): string[] {
  const byWhat = new Map<string, SnapshotFigures[]>();
  for (const f of runs.flat()) byWhat.set(f.what, [...(byWhat.get(f.what) ?? []), f]);
  return [...byWhat].map(([what, fs]) => {
    const rows = fs.map(totalRows);
    const rowsText = Math.min(...rows) === Math.max(...rows) ? rows[0]!.toLocaleString('en-US') : `${Math.min(...rows).toLocaleString('en-US')}–${Math.max(...rows).toLocaleString('en-US')}`;
    return (
      `snapshot of ${what}, ${fs.length} of ${runs.length} runs: ${spread(fs.map((f) => f.bytes / 1024), ' KiB')}, ${rowsText} rows; ` +
      `dumpShared holds the event loop ${spread(fs.map((f) => f.medianMs), ' ms')} (median of each run's calls), ${spread(fs.map((f) => f.cpuMs), ' ms')} CPU a call`
    );
  });
}
