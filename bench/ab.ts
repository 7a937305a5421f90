// The A/B table of `--parley-build` runs: this parley build beside older ones (and ngIRCd as the yardstick)
// per room size, as the median (range) over the run's rounds. Ratios are this build ÷ the other, taken
// within each round (the same minutes), so a ratio above 1 is this build costing more (or delivering more).
import type { BenchResults, RoomResult, StepResult } from './results.js';
import { LABEL } from './servers.js';
import { ratio, spread } from './stats.js';
import { matchedPair } from './targets.js';

/** The rows of one server or build at room size n, one per round, in the order they ran. */
function rowsOf(r: BenchResults, label: string | null, n: number): RoomResult[] {
  return r.rooms.filter((x) => x.n === n && (label === null ? x.server === 'parley' && x.build === undefined : label === 'ngircd' ? x.server === 'ngircd' : x.build === label));
}

const limited = (s: StepResult | null | undefined): string => (s?.limit === 'generator' || s?.limit === 'both' ? ' [gen]' : '');

/**
 * One line per room size and server: warm and cold open loop (CPU-s per million deliveries, p99, writes per
 * delivery), saturation (deliveries/s, p99) and CPU per delivery at the load both passed; then the ratios of
 * this build to each other one. `[gen]` marks a figure of a round where the generator was the limit.
 */
export function abTable(r: BenchResults): { head: string[]; rows: string[][] } {
  const others = [...(r.builds ?? []).map((b) => b.label), ...(r.servers.includes('ngircd') ? ['ngircd'] : [])];
  const head = ['N', 'server', 'rounds', 'CPU-s/M warm', 'CPU-s/M cold', 'p99 ms warm', 'writes/deliv', 'bytes/deliv', 'sat deliv/s', 'sat p99 ms', 'load avg'];
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
      spread(xs.map((x) => x.saturation?.deliveriesPerSec)) + (xs.some((x) => x.limitedBy === 'generator' || x.limitedBy === 'both') ? ' [gen]' : ''),
      spread(xs.map((x) => x.saturation?.p99Ms)),
      spread(xs.map((x) => x.loadAverage?.[0])),
    ];
    rows.push(line('parley (this build)', mine));
    for (const o of others) {
      const theirs = rowsOf(r, o, n);
      rows.push(line(o === 'ngircd' ? LABEL.ngircd : o, theirs));
      // Round i of this build against round i of the other: measured in the same minutes.
      const pairs = mine.map((m, i) => [m, theirs[i]] as const).filter((p): p is readonly [RoomResult, RoomResult] => p[1] !== undefined);
      const q = (f: (x: RoomResult) => number | undefined): string => spread(pairs.map(([a, b]) => ratio(f(a), f(b))), 'x');
      const sat = pairs.map(([a, b]) => matchedPair(a, b));
      rows.push([
        '',
        `  this ÷ ${o === 'ngircd' ? LABEL.ngircd : o}`,
        String(pairs.length),
        q((x) => x.openLoop?.serverCpuPerMDeliveries) + (pairs.map(([a, b]) => limited(a.openLoop) || limited(b.openLoop)).find((s) => s !== '') ?? ''),
        q((x) => x.openLoopCold?.serverCpuPerMDeliveries),
        q((x) => x.openLoop?.p99Ms),
        q((x) => x.openLoop?.serverWritesPerDelivery),
        q((x) => x.openLoop?.serverBytesPerDelivery),
        q((x) => x.saturation?.deliveriesPerSec),
        q((x) => x.saturation?.p99Ms),
        `CPU-s/M at matched load ${spread(sat.map((m) => (m ? ratio(m.a.serverCpuPerMDeliveries, m.b.serverCpuPerMDeliveries) : undefined)), 'x')}`,
      ]);
    }
  }
  return { head, rows };
}
