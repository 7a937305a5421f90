// npm run bench:summary -- FILE.json FILE.json FILE.json...
// The median and range, over several full runs, of every target of issue 15, as the Markdown table the
// README carries (with the dates, the machine and the build). Each run judges a case "n/a" when the
// generator limited it; the summary judges a case on the median of the runs that counted, and says how
// many did. Three runs at least: fewer are summarised with a warning. tls-*.json files from
// `npm run bench:tls` may be given beside them for target 8, floor-*.json files from `npm run bench:floor`
// for target 4's floor. When the runs measured the node floor (bench/relay.ts), or floor files are given,
// the table gets four more columns: the floor's figure, floor ÷ ngIRCd, parley ÷ floor, and whether the
// goal is below what Node.js itself does (the met / not met of the goal is unchanged: it is against ngIRCd).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResults, ClusterResult, ClusterRow, FloorResults, TlsResults } from './results.js';
import { mixedBuilds } from './build.js';
import { snapshotSummary } from './snapshot.js';
import { median, spread } from './stats.js';
import { DEFAULT_P99_LIMIT_MS, div, floorVerdict, meets, targets, withFloor, type Case } from './targets.js';

type AnyResult = BenchResults | TlsResults | ClusterResult | FloorResults;

function main(files: string[]): void {
  if (files.length === 0) {
    process.stderr.write('usage: npm run bench:summary -- bench/results/bench-A.json bench/results/bench-B.json bench/results/bench-C.json [bench/results/tls-A.json ...] [bench/results/cluster-D.json ...] [bench/results/floor-E.json ...]\n');
    process.exit(2);
  }
  const read = files.map((f) => {
    try {
      return JSON.parse(fs.readFileSync(f, 'utf8')) as AnyResult;
    } catch (err) {
      process.stderr.write(`bench:summary: cannot read ${f}: ${(err as Error).message}\n`);
      process.exit(2);
    }
  });
  // `npm run bench:tls` results (tls-*.json) may be given too: the i-th one stands for target 8 in the
  // i-th run (instead of the tls-latest.json that run picked up), so target 8 gets its median and range.
  // A file of `npm run bench:cluster` alone (a ClusterResult) adds to the cluster table only.
  const isTls = (x: AnyResult): x is TlsResults => 'runs' in x;
  const isCluster = (x: AnyResult): x is ClusterResult => 'rows' in x && !('machine' in x);
  // bench:floor's files: rows of idle clients per bare server, and a machine, but no rooms.
  const isFloor = (x: AnyResult): x is FloorResults => 'rows' in x && 'machine' in x && !('rooms' in x);
  const tlsRuns = read.filter(isTls);
  const floors = read.filter(isFloor);
  const runs = read.filter((x): x is BenchResults => !isTls(x) && !isCluster(x) && !isFloor(x)).map((r, i) => (tlsRuns[i] ? { ...r, tls: tlsRuns[i] } : r));
  const clusters = [...runs.map((r) => r.cluster), ...read.filter(isCluster)].filter((c): c is ClusterResult => c !== undefined && c !== null);
  if (runs.length === 0 && clusters.length === 0) {
    process.stderr.write('bench:summary: no bench-*.json or cluster-*.json among the files\n');
    process.exit(2);
  }
  const limits = new Set(runs.map((r) => r.config.p99LimitMs ?? DEFAULT_P99_LIMIT_MS));
  if (limits.size > 1) {
    process.stderr.write(`bench:summary: the runs were measured with different --p99-limit (${[...limits].join(', ')} ms): their saturation figures do not combine; give runs of one limit\n`);
    process.exit(2);
  }
  const out: string[] = [];
  if (runs.length > 0) targetsTable(runs, out, floors);
  if (clusters.length > 0) clusterTable(clusters, read.length - tlsRuns.length - floors.length, out);
  process.stdout.write(out.join('\n') + '\n');
}

/**
 * A bare net.Server's KiB per idle client at `clients` in bench:floor's files (its smallest welcome; the
 * median over the files), and the line saying where it comes from; undefined when no file measured that many.
 */
export function netFloor(floors: FloorResults[], clients: number): { kib: number; line: string } | undefined {
  const at = floors
    .map((f) => {
      const rows = f.rows.filter((row) => row.clients === clients);
      const net = rows.filter((row) => row.name === 'net').sort((a, b) => (a.welcomeBytes ?? 0) - (b.welcomeBytes ?? 0))[0];
      return { f, net: net?.perClientKiB, parley: rows.find((row) => row.name === 'parley')?.perClientKiB };
    })
    .filter((x): x is { f: FloorResults; net: number; parley: number | undefined } => x.net !== undefined);
  if (at.length === 0) return undefined;
  const net = at.map((x) => x.net);
  const withParley = at.filter((x) => x.parley !== undefined);
  const line =
    `Target 4's floor: \`npm run bench:floor\`, ${clients.toLocaleString('en-US')} idle clients, ${at.map((x) => `${x.f.date.slice(0, 16).replace('T', ' ')} UTC (load ${x.f.machine.loadAverage[0]?.toFixed(2) ?? '-'})`).join(', ')}: ` +
    `a bare net.Server ${spread(net, ' KiB')} per client` +
    (withParley.length > 0 ? `, parley in the same runs ${spread(withParley.map((x) => x.parley), ' KiB')} (parley ÷ net.Server ${spread(withParley.map((x) => x.parley! / x.net), '×')})` : '') +
    '.';
  return { kib: median(net), line };
}

/** The targets of issue 15 over full runs of `npm run bench` (and bench:floor's files for target 4), into `out`. */
export function targetsTable(runs: BenchResults[], out: string[], floors: FloorResults[] = []): void {
  if (runs.length < 3) process.stderr.write(`warning: ${runs.length} run(s); the README's table wants the median of 3 or more\n`);
  if (runs.some((r) => r.quick)) process.stderr.write('warning: a quick run is among these; its steps are shorter and its N smaller\n');
  const m = runs[0]!.machine;
  out.push(
    `${runs.length} runs of \`npm run bench\`, ${runs.map((r) => r.machine.date.slice(0, 16).replace('T', ' ')).join(', ')} UTC; ` +
      `${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, ${m.kernel}, Node ${m.node}${m.ngircd ? `, ${m.ngircd.split('-')[0]}` : ''}; ` +
      `server pinned to CPU ${m.serverCpus ?? '-'}, generator to CPU ${m.generatorCpus ?? '-'}` +
      (runs.every((r) => r.durationSec !== undefined) ? `; a run took ${spread(runs.map((r) => r.durationSec! / 60), ' min')}` : '') +
      '. Median (range) over the runs; ratios are parley ÷ ngIRCd within each run.' +
      (runs[0]!.machine.build !== undefined ? ` Build ${runs[0]!.machine.build}.` : ''),
  );
  // Target 8's files count as the runs' own: all must be of the build the table is of.
  const mixed = mixedBuilds([...runs.map((r) => r.machine.build), ...runs.flatMap((r) => (r.tls ? [r.tls.build] : []))]);
  if (mixed !== undefined) {
    process.stderr.write(`warning: ${mixed.replace(/\*/g, '')}\n`);
    out.push('', `${mixed}.`);
  }
  out.push('');
  const perRun = runs.map((r) => targets(r));
  const idleFloor = netFloor(floors, runs[0]!.config.idleClients);
  if (idleFloor) for (const ts of perRun) {
    const idle = ts.find((t) => t.id === 4)?.cases[0];
    if (idle) withFloor(idle, idleFloor.kib, false);
  }
  const floorCols = perRun.some((ts) => ts.some((t) => t.cases.some((c) => c.floor !== undefined)));
  out.push(`| target | case | parley | ngIRCd | ratio | goal | result |${floorCols ? " node floor | floor ÷ ngIRCd | parley ÷ floor | Node's floor |" : ''}`);
  out.push(`|---|---|---|---|---|---|---|${floorCols ? '---|---|---|---|' : ''}`);
  for (const [ti, t] of perRun[0]!.entries()) {
    for (const [ci, c] of t.cases.entries()) {
      const all = perRun.map((ts) => ts[ti]?.cases[ci]).filter((x): x is Case => x !== undefined);
      // Only the runs where the case could be judged (not generator-limited, figures present) decide it.
      const counted = all.filter((x) => x.met !== null && x.judged !== undefined);
      let result: string;
      if (c.cmp === null) result = 'reported';
      else if (counted.length === 0) result = `n/a${all[0]?.note ? ` (${all[0].note})` : ''}`;
      else {
        const med = median(counted.map((x) => x.judged!));
        const lost = counted.some((x) => x.note.startsWith('parley lost'));
        result = (meets(c, med) && !lost ? 'met' : '**not met**') + (lost ? ' (losses)' : '') + (counted.length < all.length ? ` (${counted.length} of ${all.length} runs counted)` : '');
      }
      out.push(
        `| ${ci === 0 ? `${t.id}. ${t.label}` : ''} | ${c.label.replace(/ \(\d+ msg\/s x \d+, both passed\)/, ' (matched load)').replace(/ \(limited by .*\)/, '')} | ${spread(all.map((x) => x.parley))} | ${spread(all.map((x) => x.ngircd))} | ${spread(all.map((x) => x.ratio), '×')} | ${c.goal} | ${result} |` +
          (floorCols ? floorCells(c, all) : ''),
      );
    }
  }
  if (idleFloor) out.push('', idleFloor.line);
}

/**
 * The four floor columns of a case over the runs: the floor's figure, floor ÷ ngIRCd and parley ÷ floor
 * (within each run), and where the goal stands against the floor, judged on the median of the runs whose
 * floor figure counted (as the goal itself is on the runs that counted).
 */
function floorCells(c: Case, all: Case[]): string {
  const counted = all.filter((x) => x.floorCounted === true && x.floorJudged !== undefined);
  let verdict = '-';
  if (all.every((x) => x.floor === undefined)) return ' - | - | - | - |';
  if (c.cmp === null) verdict = 'reported';
  else if (counted.length === 0) verdict = "n/a (the floor's steps were generator-limited)";
  else verdict = floorVerdict(c, median(counted.map((x) => x.floorJudged!))) + (counted.length < all.length ? ` (${counted.length} of ${all.length} runs counted)` : '');
  return ` ${spread(all.map((x) => x.floor))} | ${spread(all.map((x) => div(x.floor, x.ngircd)), '×')} | ${spread(all.map((x) => div(x.parley, x.floor)), '×')} | ${verdict} |`;
}

/** The cluster step (bench/cluster.ts) over the runs that have it, into `out`. */
function clusterTable(clusters: ClusterResult[], files: number, out: string[]): void {
  const c = clusters[0]!;
  if (out.length > 0) out.push('');
  out.push(
    `Cluster step, ${clusters.length} of ${files} files: one room on 1-3 parley nodes and one redis-server, ${c.clients} clients, ` +
      `${c.senders} senders x ${c.ratePerSender} msg/s; load average ${spread(clusters.map((x) => x.loadAverage[0]))} at its end. Median (range).`,
  );
  out.push('');
  out.push('| nodes | deliveries/s | delivered | CPU per delivery (parley + redis) | p99 |');
  out.push('|---|---|---|---|---|');
  for (const nodes of [...new Set(clusters.flatMap((x) => x.rows.map((row) => row.nodes)))].sort((a, b) => a - b)) {
    const rows = clusters.map((x) => x.rows.find((row) => row.nodes === nodes)).filter((row): row is ClusterRow => row !== undefined);
    const share = rows.map((row) => (100 * row.deliveries) / Math.max(1, row.expected));
    out.push(`| ${nodes} | ${spread(rows.map((row) => row.perSecond))} | ${spread(share, '%')} | ${spread(rows.map((row) => row.cpuUsPerDelivery), ' µs')} | ${spread(rows.map((row) => row.p99), ' ms')} |`);
  }
  const snapshots = snapshotSummary(clusters.map((x) => x.snapshots ?? []));
  if (snapshots.length > 0) out.push('', ...snapshots.map((l) => `- ${l}`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
