// The A/B table of `--parley-build` runs: this parley build beside older ones (and ngIRCd as the yardstick)
// per room size, as the median (range) over the run's rounds. Ratios are this build ÷ the other, taken
// within each round (the same minutes), so a ratio above 1 is this build costing more (or delivering more).
import type { BenchResults, RoomResult } from './results.js';
import { LABEL } from './servers.js';
import { ratio, spread } from './stats.js';
import { generatorBound, matchedPair } from './targets.js';

/** The rows of one server or build at room size n, one per round, in the order they ran. */
function rowsOf(r: BenchResults, label: string | null, n: number): RoomResult[] {
  return r.rooms.filter((x) => x.n === n && (label === null ? x.server === 'parley' && x.build === undefined : label === 'ngircd' ? x.server === 'ngircd' : x.build === label));
}

/** Whether a room's saturation figure is of a sweep that ended on the generator. */
const sweepGenBound = (x: RoomResult): boolean => x.limitedBy === 'generator' || x.limitedBy === 'both' || generatorBound(x.saturation);

/**
 * One line per room size and server: warm and cold open loop (CPU-s per million deliveries, p99, writes per
 * delivery, bytes written by the server per delivery: sockets + log + database), saturation (deliveries/s,
 * p99); then the ratios of this build to each other one, with CPU per delivery at the load both passed in
 * its own column. `[gen]` marks a ratio where, in some round, either side was generator-limited.
 */
export function abTable(r: BenchResults): { head: string[]; rows: string[][] } {
  const others = [...(r.builds ?? []).map((b) => b.label), ...(r.servers.includes('ngircd') ? ['ngircd'] : [])];
  const head = ['N', 'server', 'rounds', 'CPU-s/M warm', 'CPU-s/M cold', 'p99 ms warm', 'writes/deliv', 'bytes written/deliv (sock+log+db)', 'sat deliv/s', 'sat p99 ms', 'load avg', 'CPU-s/M matched load'];
  const rows: string[][] = [];
  for (const n of r.config.roomSizes) {
    const mine = rowsOf(r, null, n);
    const line = (name: string, xs: RoomResult[]): string[] => [
      String(n),
      name,
      String(xs.length),
      spread(xs.map((x) => x.openLoop?.serverCpuPerMDeliveries)),
      spread(xs.map((x) => x.openLoopCold?.serverCpuPerMDeliveries)),
      spread(xs.map((x) => x.openLoop?.p99Ms)),
      spread(xs.map((x) => x.openLoop?.serverWritesPerDelivery)),
      spread(xs.map((x) => x.openLoop?.serverBytesPerDelivery)),
      spread(xs.map((x) => x.saturation?.deliveriesPerSec)) + (xs.some(sweepGenBound) ? ' [gen]' : ''),
      spread(xs.map((x) => x.saturation?.p99Ms)),
      spread(xs.map((x) => x.loadAverage?.[0])),
      '',
    ];
    rows.push(line('parley (this build)', mine));
    for (const o of others) {
      const theirs = rowsOf(r, o, n);
      rows.push(line(o === 'ngircd' ? LABEL.ngircd : o, theirs));
      // Round i of this build against round i of the other: measured in the same minutes.
      const pairs = mine.map((m, i) => [m, theirs[i]] as const).filter((p): p is readonly [RoomResult, RoomResult] => p[1] !== undefined);
      const q = (f: (x: RoomResult) => number | undefined): string => spread(pairs.map(([a, b]) => ratio(f(a), f(b))), 'x');
      const sat = pairs.map(([a, b]) => matchedPair(a, b));
      // ' [gen]' when, in any round, either side of the pair was generator-limited: the ratio says nothing then.
      const gen = (bound: (x: RoomResult) => boolean): string => (pairs.some(([a, b]) => bound(a) || bound(b)) ? ' [gen]' : '');
      rows.push([
        '',
        `  this ÷ ${o === 'ngircd' ? LABEL.ngircd : o}`,
        String(pairs.length),
        q((x) => x.openLoop?.serverCpuPerMDeliveries) + gen((x) => generatorBound(x.openLoop)),
        q((x) => x.openLoopCold?.serverCpuPerMDeliveries) + gen((x) => generatorBound(x.openLoopCold)),
        q((x) => x.openLoop?.p99Ms) + gen((x) => generatorBound(x.openLoop)),
        q((x) => x.openLoop?.serverWritesPerDelivery),
        q((x) => x.openLoop?.serverBytesPerDelivery),
        q((x) => x.saturation?.deliveriesPerSec) + gen(sweepGenBound),
        q((x) => x.saturation?.p99Ms) + gen(sweepGenBound),
        '',
        spread(sat.map((m) => (m ? ratio(m.a.serverCpuPerMDeliveries, m.b.serverCpuPerMDeliveries) : undefined)), 'x') +
          (sat.some((m) => m !== null && (generatorBound(m.a) || generatorBound(m.b))) ? ' [gen]' : ''),
      ]);
    }
  }
  return { head, rows };
}
