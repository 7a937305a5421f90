import { describe, expect, it } from 'vitest';
import type { BenchResults, FloorResults, RoomResult, TlsResults } from '../../bench/results.js';
import { step } from '../helpers/bench-step.js';
import type { ServerKind } from '../../bench/servers.js';
import { targetsTable } from '../../bench/summary.js';
import { targets } from '../../bench/targets.js';

// npm run bench:summary with the node floor (bench/relay.ts) in the runs and bench:floor's files beside them:
// the floor's figure, floor ÷ ngIRCd, parley ÷ floor and whether a goal is below Node's floor, computed from
// small fixture results; the columns that were there before, and their met / not met, unchanged.

/** A room at N = 10: open loop at `cpu` CPU-s/M and p99 `p99`, a sweep whose best step delivers `sat` a second at 160 msg/s. */
function room(server: ServerKind, cpu: number, p99: number, sat: number, limitedBy: RoomResult['limitedBy'] = 'server'): RoomResult {
  const best = step({ ratePerSender: 160, deliveriesPerSec: sat, serverCpuPerMDeliveries: cpu / 10, p99Ms: 40, ...(limitedBy === 'generator' && { limit: 'generator' }) });
  return {
    server, n: 10, join: { n: 10, joined: 10, failed: 0, ms: 50, errors: [], toppedUp: 0 }, rssBaseKiB: 40_000, rssJoinedKiB: 40_100, rssPerClientKiB: 10,
    rssTalkedKiB: 40_200, rssPerClientTalkedKiB: 20, openLoop: step({ serverCpuPerMDeliveries: cpu, p99Ms: p99 }), sweep: [best], saturation: best,
    sweepStop: 'p99 at 320 msg/s per sender', limitedBy,
  };
}

function run(date: string, rooms: RoomResult[]): BenchResults {
  return {
    machine: { date, host: 'h', cpuModel: 'AMD EPYC', cpus: 2, memGiB: 24, kernel: 'Linux 6', node: 'v20.20.2', ngircd: 'ngIRCd 26.1', serverCpus: '1', generatorCpus: '0', workers: 4 },
    quick: false,
    servers: [...new Set(rooms.map((r) => r.server))],
    config: { roomSizes: [10], idleClients: 10_000, senders: 10, openLoopRate: 10, payloadBytes: 64, openLoopMs: 6000, warmupMs: 3000, stepMs: 3000, p99LimitMs: 100, floodLimits: '-' },
    rooms,
    memory: (['parley', 'ngircd'] as const).map((server) => ({
      server, join: { n: 10_000, joined: 10_000, failed: 0, ms: 8000, errors: [], toppedUp: 0 }, rssBaseKiB: 50_000, rssIdleKiB: 50_000 + (server === 'parley' ? 135_000 : 28_000),
      rssPerClientKiB: server === 'parley' ? 13.5 : 2.8, serverCpuSecJoin: 10,
    })),
    client: null,
    notes: [],
  };
}

/** Three runs: parley at 50, 54, 58 CPU-s/M, ngIRCd 15 and the floor 30 (2x ngIRCd: the goal of 1x is below it). */
const runs = [50, 54, 58].map((cpu, i) =>
  run(`2026-11-30T1${i}:00:00.000Z`, [room('parley', cpu, 50, 350_000), room('ngircd', 15, 40, 1_400_000), room('floor', 30, 20, 2_800_000, i === 0 ? 'generator' : 'server')]),
);

const floorFile: FloorResults = {
  date: '2026-11-30T14:30:00.000Z',
  machine: { cores: 2, model: 'AMD EPYC', node: 'v20.20.2', loadAverage: [1.5, 1.2, 1.0] },
  rows: [
    { name: 'net', transport: 'plain', welcomeBytes: 20, clients: 10_000, rssBeforeKiB: 40_000, rssAfterKiB: 130_000, perClientKiB: 9, connectSec: 20 },
    { name: 'net', transport: 'plain', welcomeBytes: 16_384, clients: 10_000, rssBeforeKiB: 40_000, rssAfterKiB: 140_000, perClientKiB: 10, connectSec: 20 },
    { name: 'net', transport: 'plain', welcomeBytes: 20, clients: 1000, rssBeforeKiB: 40_000, rssAfterKiB: 49_000, perClientKiB: 99, connectSec: 2 },
    { name: 'parley', transport: 'plain', welcomeBytes: null, clients: 10_000, rssBeforeKiB: 60_000, rssAfterKiB: 195_000, perClientKiB: 13.5, connectSec: 30 },
  ],
};

/** The table's rows as cells, by "target: case" (only the first row of a target names it). */
function rows(out: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let target = '';
  for (const line of out.filter((l) => l.startsWith('| ') && !l.startsWith('| target') && !l.startsWith('|---'))) {
    const cells = line.slice(2, -2).split(' | ');
    target = cells[0]!.split('.')[0] || target;
    m.set(`${target}: ${cells[1]}`, cells);
  }
  return m;
}

describe("bench:summary's node floor columns", () => {
  it("show the floor's figure, floor ÷ ngIRCd and parley ÷ floor, and say when a goal is below Node's floor", () => {
    const out: string[] = [];
    targetsTable(runs, out, [floorFile]);
    expect(out.find((l) => l.startsWith('| target'))).toBe("| target | case | parley | ngIRCd | ratio | goal | result | node floor | floor ÷ ngIRCd | parley ÷ floor | Node's floor |");
    const t = rows(out);
    // Target 1, open loop: floor 30 against ngIRCd 15 — no Node server doing this much meets 1.00x.
    expect(t.get('1: N=10 open loop')!.slice(7)).toEqual(['30.0', '2.00×', '1.80× (1.67–1.93)', "below Node's floor: the floor alone is 2.00x ngIRCd"]);
    // Target 2: the floor delivers 2x ngIRCd's rate (its first run ended on the generator: not counted).
    expect(t.get('2: N=10')!.slice(7)).toEqual(['2,800,000', '2.00×', '0.125×', "within Node's floor: the floor alone is 2.00x ngIRCd (2 of 3 runs counted)"]);
    // Target 3, p99 at the largest N: the floor's 20 ms is 0.5x ngIRCd's 40.
    expect(t.get('3: N=10 open loop')!.slice(7)).toEqual(['20.0', '0.500×', '2.50×', "within Node's floor: the floor alone is 0.50x ngIRCd"]);
    // Target 4 from bench:floor at the runs' 10,000 idle clients (the smallest welcome): 9 KiB, over the 4 KiB goal.
    expect(t.get('4: idle, 10,000 clients')!.slice(7)).toEqual(['9.00', '3.21×', '1.50×', "below Node's floor: the floor alone is 9.0 KiB"]);
    expect(out).toContain("Target 4's floor: `npm run bench:floor`, 10,000 idle clients, 2026-11-30 14:30 UTC (load 1.50): a bare net.Server 9.00 KiB per client, parley in the same runs 13.5 KiB (parley ÷ net.Server 1.50×).");
    // Cases the floor has no figure for.
    expect(t.get('6: join storm, 10 clients')!.slice(7)).toEqual(['-', '-', '-', '-']);
  });

  it('leave the columns that were there, and their met / not met, as they are', () => {
    const withFloor: string[] = [];
    targetsTable(runs, withFloor, [floorFile]);
    const without: string[] = [];
    targetsTable(runs.map((r) => ({ ...r, rooms: r.rooms.filter((x) => x.server !== 'floor'), servers: ['parley', 'ngircd'] })), without);
    const firstSeven = (out: string[]): string[][] => [...rows(out).values()].map((cells) => cells.slice(0, 7));
    expect(firstSeven(withFloor)).toEqual(firstSeven(without));
    expect(rows(without).get('1: N=10 open loop')).toEqual(['1. server CPU-s per million deliveries', 'N=10 open loop', '54.0 (50.0–58.0)', '15.0', '3.60× (3.33–3.87)', '<= 1.00x', '**not met**']);
    // Without floor data the table is as it was: seven columns.
    expect(without.find((l) => l.startsWith('| target'))).toBe('| target | case | parley | ngIRCd | ratio | goal | result |');
  });

  it("judge nothing on a floor whose every step was generator-limited", () => {
    const limited = runs.map((r) => ({ ...r, rooms: r.rooms.map((x) => (x.server === 'floor' ? { ...x, limitedBy: 'generator' as const } : x)) }));
    const out: string[] = [];
    targetsTable(limited, out);
    expect(rows(out).get('2: N=10')!.slice(7)).toEqual(['2,800,000', '2.00×', '0.125×', "n/a (the floor's steps were generator-limited)"]);
  });
});

describe("target 7, the full-screen client's step", () => {
  const client = (lastShown: boolean, cpuShare: number): NonNullable<BenchResults['client']> => ({
    measured: 'the parley client process in tmux 100x30, against parley-server', rate: 1000, seconds: 10, messages: 10_000, relayed: 10_000,
    lastShown, cpuShare, firstFrameMs: 300, rssMiB: 60, scrollback: 5000,
  });

  it('does not count a run whose client fell behind (the server held its senders back; it got what the machine gave it)', () => {
    const [a, b, c] = runs;
    const out: string[] = [];
    // Two runs that kept up, at 0.45 of a core; one that fell behind at 0.20 would have "met" the 0.3 goal.
    targetsTable([{ ...a!, client: client(true, 0.45) }, { ...b!, client: client(true, 0.47) }, { ...c!, client: client(false, 0.2) }], out);
    const t = rows(out);
    expect(t.get('7: CPU at 1000 msg/s (share of a core; the parley process, tmux 100x30)')!.slice(2, 7)).toEqual(['0.450 (0.200–0.470)', '-', '-', '<= 0.3 core', '**not met** (2 of 3 runs counted)']);
    expect(t.get('7: RSS with a full 5000-line scrollback (the parley process, tmux 100x30)')![6]).toBe('met (2 of 3 runs counted)');
    const one: string[] = [];
    targetsTable([{ ...c!, client: client(false, 0.2) }], one);
    expect(rows(one).get('7: CPU at 1000 msg/s (share of a core; the parley process, tmux 100x30)')![6]).toBe('n/a (the client fell behind (its last message not on screen): does not count)');
  });
});

describe('which build the figures are of', () => {
  const tlsFile = (build: string | undefined): TlsResults => ({
    date: '2026-11-30T16:21:00.000Z',
    ...(build !== undefined && { build }),
    machine: { cores: 2, model: 'AMD EPYC', node: 'v20.20.2', loadAverage: [1, 1, 1], ngircd: null },
    options: { idle: 1000, handshakes: 200, n: 100, senders: 10, rate: 10, seconds: 5 },
    tookSec: 100,
    runs: [],
  });
  const of = (r: BenchResults, build: string): BenchResults => ({ ...r, machine: { ...r.machine, build } });

  it('names the build, and says so when the runs, or the TLS files standing for target 8, are not all of it', () => {
    const same: string[] = [];
    targetsTable(runs.map((r) => of(r, '6b85e90')), same);
    expect(same[0]).toMatch(/ Build 6b85e90\.$/);
    expect(same.join('\n')).not.toContain('not one build');

    const mixed: string[] = [];
    targetsTable([of(runs[0]!, '6b85e90'), of(runs[1]!, '6b85e90'), of(runs[2]!, '1f7b526')], mixed);
    expect(mixed).toContain('**not one build**: the files are of 6b85e90, 1f7b526.');

    const olderTls: string[] = [];
    targetsTable(runs.map((r, i) => ({ ...of(r, '6b85e90'), tls: tlsFile(i === 2 ? '1f7b526' : '6b85e90') })), olderTls);
    expect(olderTls).toContain('**not one build**: the files are of 6b85e90, 1f7b526.');
  });

  it("marks target 8 when the run picked up a bench:tls file of another build", () => {
    const t8 = (tls: TlsResults) => targets({ ...of(runs[0]!, '6b85e90'), tls }).find((t) => t.id === 8)!.cases[0]!.note;
    expect(t8(tlsFile('6b85e90'))).toBe('bench:tls 2026-11-30T16:21');
    expect(t8(tlsFile('1f7b526'))).toBe("bench:tls 2026-11-30T16:21, of build 1f7b526, NOT this run's 6b85e90");
    expect(t8(tlsFile(undefined))).toBe("bench:tls 2026-11-30T16:21, of build unrecorded, NOT this run's 6b85e90");
  });
});
