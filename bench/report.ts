// The stdout table (side by side, with parley/ngIRCd ratios) and the chart, both from one run's results.
import fs from 'node:fs';
import { abTable } from './ab.js';
import { renderChart, type Panel } from './chart.js';
import type { BenchResults, RoomResult, StepResult } from './results.js';
import { LABEL, type ServerKind } from './servers.js';
import { snapshotLines } from './snapshot.js';
import { ratio } from './stats.js';
import { decisive, floorVerdict, matchedStep, roomOf, targetMet, targets, type Case } from './targets.js';

const COLOR: Record<ServerKind, string> = { parley: '#1f6fb4', ngircd: '#d2481e', floor: '#6b6b6b' };

export function fmtInt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US');
}

export function fmtNum(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function fmtRatio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}x` : '-';
}

export function table(head: string[], rows: string[][], leftCols = 2): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < leftCols ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

const metWord = (m: boolean | null): string => (m === null ? 'n/a' : m ? 'met' : 'NOT MET');

/** Figures of a case in the unit its target uses. */
export function fmtCase(v: number | undefined): string {
  return fmtNum(v);
}

/** The targets of issue 15: one row each (its deciding case), then every case. */
export function printTargets(r: BenchResults, write: (s: string) => void): void {
  const ts = targets(r);
  write(table(
    ['target', '', 'parley', 'ngIRCd', 'ratio', 'goal', 'result', 'deciding case'],
    ts.map((t) => {
      const c = decisive(t);
      return [String(t.id), t.label, fmtCase(c?.parley), fmtCase(c?.ngircd), c?.ratio === undefined ? '-' : fmtRatio(c.ratio), c?.goal ?? '', metWord(targetMet(t)), `${c?.label ?? ''}${c?.note ? ` (${c.note})` : ''}`];
    }),
    2,
  ));
  write('\nEvery case\n');
  // With the node floor in the run: its figure, parley ÷ floor, and whether the goal is below the floor.
  const floor = r.servers.includes('floor');
  const floorCells = (c: Case): string[] =>
    !floor
      ? []
      : [fmtCase(c.floor), fmtRatio(ratio(c.parley, c.floor)), c.floor === undefined ? '' : c.floorCounted === false ? 'floor generator-limited' : floorVerdict(c, c.floorJudged)];
  write(table(
    ['target', 'case', 'parley', 'ngIRCd', 'ratio', 'goal', 'result', 'note', ...(floor ? ['node floor', 'parley/floor', "Node's floor"] : [])],
    ts.flatMap((t) => t.cases.map((c) => [String(t.id), c.label, fmtCase(c.parley), fmtCase(c.ngircd), c.ratio === undefined ? '-' : fmtRatio(c.ratio), c.goal, metWord(c.met), c.note, ...floorCells(c)])),
    2,
  ));
}

export function printReport(r: BenchResults, write: (s: string) => void): void {
  const m = r.machine;
  const servers = r.servers;
  const both = servers.includes('parley') && servers.includes('ngircd');
  // Ratio rows under each N: parley ÷ ngIRCd ("ratio"), and parley ÷ the node floor when it ran.
  const pairs = ([['ngircd', 'ratio'], ['floor', 'parley/floor']] as const).filter(([k]) => servers.includes('parley') && servers.includes(k));
  write(
    `\n${servers.map((k) => LABEL[k]).join(' vs ')} benchmark, ${m.date.slice(0, 16).replace('T', ' ')} UTC${r.quick ? ' (QUICK: smaller N, shorter steps)' : ''}\n` +
      `${m.cpus} x ${m.cpuModel}, ${m.memGiB} GiB, ${m.kernel}, Node ${m.node}${m.ngircd ? `, ${m.ngircd}` : ''}\n` +
      `${m.serverCpus === null ? 'unpinned' : `server pinned to CPU ${m.serverCpus}, generator (${m.workers} worker processes + orchestrator) to CPU ${m.generatorCpus}`}; flood limits ${r.config.floodLimits}\n\n`,
  );

  write(`Targets of issue 15${both ? ' (ratios are parley/ngIRCd from this run)' : ''}; a generator-limited step does not count\n`);
  printTargets(r, write);
  if (r.durationSec !== undefined) write(`(this run took ${(r.durationSec / 60).toFixed(1)} min)\n`);

  if (r.builds && r.builds.length > 0) {
    const ab = abTable(r);
    write(`\nA/B: this parley build beside ${r.builds.map((b) => `${b.label} (greeted in protocol version ${b.protocolVersion})`).join(', ')}, ${r.rounds ?? 1} round(s); median (range) over the rounds, ratios within each round; the tables below are of the first round\n`);
    write(table(ab.head, ab.rows));
  }
  write(`\nOpen loop: ${r.config.senders} senders x ${r.config.openLoopRate} msg/s, ${r.config.payloadBytes}-byte payload, ${r.config.openLoopMs / 1000} s; join storm and memory per client at the same N\n`);
  const rows: string[][] = [];
  for (const n of r.config.roomSizes) {
    for (const kind of servers) {
      const x = roomOf(r, kind, n);
      const s = x?.openLoop ?? undefined;
      rows.push([
        String(n),
        LABEL[kind],
        fmtInt(s?.deliveriesPerSec),
        fmtInt(s?.lost),
        fmtNum(s?.p50Ms),
        fmtNum(s?.p99Ms),
        fmtNum(s?.maxMs),
        fmtNum(s?.serverCpuPerMDeliveries),
        fmtNum(s?.serverCores),
        fmtNum(s?.generatorCores),
        x ? fmtNum(x.join.ms / 1000) : '-',
        fmtNum(x?.rssPerClientKiB),
        fmtNum(s?.serverWritesPerDelivery),
        s?.limit ?? '-',
        fmtNum(s?.otherCores),
      ]);
    }
    for (const [other, name] of pairs) {
      const p = roomOf(r, 'parley', n);
      const g = roomOf(r, other, n);
      const q = (f: (s: StepResult) => number): string => fmtRatio(ratio(p?.openLoop ? f(p.openLoop) : undefined, g?.openLoop ? f(g.openLoop) : undefined));
      rows.push([
        '',
        name,
        q((s) => s.deliveriesPerSec),
        '',
        q((s) => s.p50Ms),
        q((s) => s.p99Ms),
        q((s) => s.maxMs),
        q((s) => s.serverCpuPerMDeliveries),
        q((s) => s.serverCores),
        '',
        fmtRatio(ratio(p?.join.ms, g?.join.ms)),
        fmtRatio(ratio(p?.rssPerClientKiB, g?.rssPerClientKiB)),
        '',
        '',
        '',
      ]);
    }
  }
  write(table(['N', 'server', 'deliv/s', 'lost', 'p50 ms', 'p99 ms', 'max ms', 'CPU-s/M', 'srv cores', 'gen cores', 'join s', 'KiB/client', 'writes/deliv', 'limit', 'other'], rows));

  write(`\nSaturation: the senders' rate doubles until p99 > ${r.config.p99LimitMs} ms or a loss, then bisects; best passing step (${r.config.stepMs / 1000} s each)\n`);
  const srows: string[][] = [];
  for (const n of r.config.roomSizes) {
    for (const kind of servers) {
      const x = roomOf(r, kind, n);
      const s = x?.saturation ?? undefined;
      srows.push([
        String(n),
        LABEL[kind],
        fmtInt(s?.ratePerSender),
        fmtInt(s?.deliveriesPerSec),
        fmtNum(s?.p50Ms),
        fmtNum(s?.p99Ms),
        fmtNum(s?.serverCpuPerMDeliveries),
        fmtNum(s?.serverCores),
        fmtNum(s?.generatorCores),
        fmtNum(s?.serverWritesPerDelivery),
        fmtNum(s?.otherCores),
        x?.limitedBy ?? '-',
        x?.sweepStop ?? '-',
      ]);
    }
    for (const [other, name] of pairs) {
      const p = roomOf(r, 'parley', n)?.saturation ?? undefined;
      const g = roomOf(r, other, n)?.saturation ?? undefined;
      srows.push([
        '',
        name,
        '',
        fmtRatio(ratio(p?.deliveriesPerSec, g?.deliveriesPerSec)),
        fmtRatio(ratio(p?.p50Ms, g?.p50Ms)),
        fmtRatio(ratio(p?.p99Ms, g?.p99Ms)),
        fmtRatio(ratio(p?.serverCpuPerMDeliveries, g?.serverCpuPerMDeliveries)),
        '',
        '',
        '',
        '',
        '',
        '',
      ]);
    }
  }
  write(table(['N', 'server', 'msg/s/sender', 'deliv/s', 'p50 ms', 'p99 ms', 'CPU-s/M', 'srv cores', 'gen cores', 'writes/deliv', 'other', 'limited by', 'sweep stopped'], srows));
  write(`("other": cores the rest of the machine used during the step; above ${0.3} the figure was measured on a busy machine)\n`);

  write(`\nIdle clients (memory)\n`);
  const mrows = r.memory.map((x) => [
    LABEL[x.server],
    `${fmtInt(x.join.joined)}/${fmtInt(x.join.n)}`,
    fmtNum(x.join.ms / 1000),
    fmtNum(x.serverCpuSecJoin),
    fmtNum(x.rssBaseKiB / 1024),
    fmtNum(x.rssIdleKiB / 1024),
    fmtNum(x.rssPerClientKiB),
  ]);
  if (both && r.memory.length === 2) {
    const p = r.memory.find((x) => x.server === 'parley');
    const g = r.memory.find((x) => x.server === 'ngircd');
    mrows.push(['ratio', '', fmtRatio(ratio(p?.join.ms, g?.join.ms)), fmtRatio(ratio(p?.serverCpuSecJoin, g?.serverCpuSecJoin)), '', fmtRatio(ratio(p?.rssIdleKiB, g?.rssIdleKiB)), fmtRatio(ratio(p?.rssPerClientKiB, g?.rssPerClientKiB))]);
  }
  write(table(['server', 'clients', 'join s', 'join CPU-s', 'RSS base MiB', 'RSS MiB', 'KiB/client'], mrows, 1));

  const c = r.cluster;
  if (c) {
    write(`\nCluster (one room on 1-3 parley nodes and one redis-server; ${c.clients} clients, ${c.senders} senders x ${c.ratePerSender} msg/s, ${c.seconds} s; load average ${c.loadAverage.map((l) => l.toFixed(1)).join(' ')})\n`);
    const crows = c.rows.map((x) => [String(x.nodes), fmtInt(x.perSecond), `${fmtInt(x.deliveries)}/${fmtInt(x.expected)}`, fmtNum(x.cpuUsPerDelivery), fmtNum(x.p50), fmtNum(x.p99)]);
    write(table(['nodes', 'deliv/s', 'delivered/expected', 'CPU µs/deliv (parley+redis)', 'p50 ms', 'p99 ms'], crows));
    for (const line of snapshotLines(c.snapshots ?? [])) write(`${line}\n`);
  }
}

/** Latency, throughput and CPU per delivery against N, one line per server; returns the file written. */
export function writeChart(r: BenchResults, file: string): string {
  const ns = r.config.roomSizes;
  const series = (label: string, pick: (x: RoomResult) => number | undefined, dash?: string) =>
    r.servers.map((kind) => ({
      name: `${LABEL[kind]}${label}`,
      color: COLOR[kind],
      ...(dash !== undefined && { dash }),
      values: ns.map((n) => pick(roomOf(r, kind, n)!) ?? NaN),
    }));
  const panels: Panel[] = [
    {
      title: `Latency, open loop (${r.config.senders} x ${r.config.openLoopRate} msg/s)`,
      yLabel: 'ms (log scale)',
      log: true,
      series: [...series(' p99', (x) => x?.openLoop?.p99Ms), ...series(' p50', (x) => x?.openLoop?.p50Ms, '5,4')],
      format: (v) => (v >= 1 ? String(Math.round(v * 100) / 100) : v.toPrecision(1)),
    },
    {
      title: 'Saturation throughput',
      yLabel: 'deliveries per second',
      log: false,
      series: series('', (x) => x?.saturation?.deliveriesPerSec),
      format: (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${Math.round(v / 1e3)}k` : String(Math.round(v))),
    },
    {
      title: 'Server CPU per delivery (same load)',
      yLabel: 'CPU-s per million deliveries (log scale)',
      log: true,
      // At the highest sweep rate both servers passed (the open-loop rate when there is only one server).
      series: series('', (x) => {
        if (x === undefined) return undefined;
        const m = matchedStep(r, x.n);
        const s = m === null ? x.openLoop : m[x.server];
        return s?.serverCpuPerMDeliveries;
      }),
      format: (v) => (v >= 10 ? String(Math.round(v)) : v >= 1 ? v.toFixed(1) : String(v)),
    },
  ];
  const m = r.machine;
  const svg = renderChart(
    `${r.servers.map((k) => LABEL[k]).join(' vs ')}: one room, N clients, 10 senders`,
    `${m.date.slice(0, 10)} · ${m.cpus} x ${m.cpuModel} · Node ${m.node}${m.ngircd ? ` · ${m.ngircd.split('-')[0]}` : ''}${r.quick ? ' · quick run' : ''}`,
    ns.map((n) => n.toLocaleString('en-US')),
    panels,
  );
  fs.writeFileSync(file, svg);
  return file;
}
