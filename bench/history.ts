// The history insert alone, over the real Store of one or two builds: CPU per room line committed, and
// statements per commit, at several lines per commit (1: open loop, one line a turn; hundreds: saturation,
// where a turn's flush commits every line read in it). Builds alternate within each round, so an A/B is
// taken in the same minutes on a shared machine.
//
//   node bench/dist/history.js [--build DIR]... [--rows 1,10,100,500] [--lines 50000] [--rounds 5]
//
// DIR is a checkout with a built dist/ (default: this one). Each build gets a fresh database file per round
// in a temporary directory, kept to the server's default history (keepHistory(DEFAULT_HISTORY)), so the
// prunes a busy room causes are in the figure as they are in the server.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchFlags, buildLabel, runAlternated } from './alternate.js';

interface StoreLike {
  addHistory(m: { id: number; room: string; from: string; text: string; time: number; action: boolean; notice?: boolean }): void;
  commit(): void;
  keepHistory(lines: number): void;
  close(): void;
  statements: number;
}

interface Build {
  label: string;
  Store: new (file: string) => StoreLike;
  keep: number;
}

function args(): { builds: string[]; rows: number[]; lines: number; rounds: number } {
  const { builds, one } = benchFlags();
  return {
    builds,
    rows: one('--rows', '1,10,100,500').split(',').map(Number),
    lines: Number(one('--lines', '50000')),
    rounds: Number(one('--rounds', '5')),
  };
}

async function load(dir: string): Promise<Build> {
  const dist = path.resolve(dir, 'dist');
  const { Store } = (await import(pathToFileURL(path.join(dist, 'server/store.js')).href)) as { Store: Build['Store'] };
  const { DEFAULT_HISTORY } = (await import(pathToFileURL(path.join(dist, 'wire/limits.js')).href)) as { DEFAULT_HISTORY: number };
  return { label: buildLabel(dir), Store, keep: DEFAULT_HISTORY };
}

/** CPU µs per line and statements per commit for `lines` lines committed `perCommit` at a time. */
function measure(build: Build, file: string, perCommit: number, lines: number): { cpuUs: number; statements: number } {
  const store = new build.Store(file);
  store.keepHistory(build.keep);
  const text = 'a line of chat about the size people type, with a few words more'; // 64 bytes, as the bench's payload
  let id = 0;
  const commits = Math.ceil(lines / perCommit);
  const run = (n: number): void => {
    for (let c = 0; c < n; c++) {
      for (let k = 0; k < perCommit; k++) {
        id++;
        store.addHistory({ id, room: '#lobby', from: `sender${id % 10}`, text, time: 1_700_000_000_000 + id, action: false, notice: false });
      }
      store.commit();
    }
  };
  run(Math.ceil(commits / 10)); // warm: compiled, statements prepared, the file grown
  const statements = store.statements;
  const before = process.cpuUsage();
  run(commits);
  const used = process.cpuUsage(before);
  const result = { cpuUs: (used.user + used.system) / (commits * perCommit), statements: (store.statements - statements) / commits };
  store.close();
  return result;
}

async function main(): Promise<void> {
  const opts = args();
  runAlternated({
    title: `history insert, ${opts.lines} lines per measure`,
    tmpPrefix: 'parley-history-',
    builds: await Promise.all(opts.builds.map(load)),
    sizes: opts.rows,
    rounds: opts.rounds,
    sizeColumn: 'lines/commit',
    countColumns: 'statements per commit',
    measure: (b, file, perCommit) => {
      const r = measure(b, file, perCommit, opts.lines);
      return { cpuUs: r.cpuUs, counts: r.statements.toFixed(1) };
    },
  });
}

await main();
