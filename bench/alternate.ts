// What the in-process micro benches (history.ts, core.ts) share: their flags and the alternated rounds. Each
// measures one or two builds of parley (checkouts with a built dist/) at several sizes; within each round the
// builds take turns, in the opposite order every next round, so an A/B is taken in the same minutes on a
// shared machine, and the ratio of two builds is taken within each round.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './servers.js';

/** The command line: every `--build DIR` (default: this checkout) and `one(flag, default)`, a flag's last value. */
export function benchFlags(argv = process.argv.slice(2)): { builds: string[]; one(flag: string, dflt: string): string } {
  const all = (flag: string): string[] => argv.flatMap((a, i) => (a === flag && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
  const builds = all('--build');
  return { builds: builds.length > 0 ? builds : [REPO_ROOT], one: (flag, dflt) => all(flag).at(-1) ?? dflt };
}

/** A build's label: its directory's name. */
export const buildLabel = (dir: string): string => path.basename(path.resolve(dir));

const loadAverage = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], digits: number): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

/**
 * Run `measure(build, file, size)` for every build and size, `rounds` times, each with a fresh database file
 * (removed after it) in a temporary directory named `tmpPrefix`; then print, per build and size, the median
 * (range) of the CPU µs per line and the last measure's `counts` text, and for two builds the first ÷ the
 * second per size (median and range of the ratios within each round).
 * `title`: the first line; `sizeColumn` and `countColumns`: the table's headings (tab-separated).
 */
export function runAlternated<B extends { label: string }>(o: {
  title: string;
  tmpPrefix: string;
  builds: B[];
  sizes: number[];
  rounds: number;
  sizeColumn: string;
  countColumns: string;
  measure: (build: B, file: string, size: number) => { cpuUs: number; counts: string };
}): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix));
  const results = new Map<string, number[]>();
  const counts = new Map<string, string>();
  console.log(`${o.title}, ${o.rounds} rounds, load average ${loadAverage()}`);
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const size of o.sizes) {
        const order = round % 2 === 0 ? o.builds : [...o.builds].reverse();
        for (const b of order) {
          const file = path.join(dir, `${b.label}-${round}-${size}.db`);
          const r = o.measure(b, file, size);
          const key = `${b.label}\t${size}`;
          results.set(key, [...(results.get(key) ?? []), r.cpuUs]);
          counts.set(key, r.counts);
          for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`build\t${o.sizeColumn}\tCPU µs per line, median (range)\t${o.countColumns}`);
  for (const [key, xs] of results) console.log(`${key}\t${median(xs).toFixed(2)} (${range(xs, 2)})\t${counts.get(key)}`);
  if (o.builds.length === 2) {
    const [a, b] = o.builds as [B, B];
    for (const size of o.sizes) {
      const xa = results.get(`${a.label}\t${size}`)!;
      const xb = results.get(`${b.label}\t${size}`)!;
      const ratios = xa.map((x, i) => x / xb[i]!);
      console.log(`${a.label} ÷ ${b.label} at ${size} ${o.sizeColumn}: ${median(ratios).toFixed(3)}× (${range(ratios, 3)}), within each round`);
    }
  }
  console.log(`load average at the end ${loadAverage()}`);
}
