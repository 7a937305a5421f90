import { describe, expect, it } from 'vitest';
import { abTable } from '../../bench/ab.js';
import type { BenchResults, RoomResult, StepResult } from '../../bench/results.js';
import { step } from '../helpers/bench-step.js';
import { turnOrder, type ServerKind } from '../../bench/servers.js';
import { targets } from '../../bench/targets.js';

// The A/B table of a --parley-build run, from small made-up results: a ratio computed from a round in which
// either side was generator-limited is marked `[gen]`, column by column, and CPU at matched load has its own
// column. And the servers' turn order alternates at every room size from one round to the next.

type Gen = { cold?: boolean; sat?: boolean; matched?: boolean };

function room(server: ServerKind, build: string | undefined, cpu: number, gen: Gen = {}): RoomResult {
  const lim = (on: boolean | undefined): Partial<StepResult> => (on ? { limit: 'generator' } : {});
  const matched = step({ ratePerSender: 80, serverCpuPerMDeliveries: cpu / 2, ...lim(gen.matched) });
  const best = step({ ratePerSender: 160, deliveriesPerSec: 100_000 / cpu, serverCpuPerMDeliveries: cpu / 4, p99Ms: 40, ...lim(gen.sat) });
  return {
    server, ...(build !== undefined && { build }), n: 10, join: { n: 10, joined: 10, failed: 0, ms: 50, errors: [], toppedUp: 0 }, rssBaseKiB: 40_000,
    rssJoinedKiB: 40_100, rssPerClientKiB: 10, rssTalkedKiB: 40_200, rssPerClientTalkedKiB: 20,
    openLoop: step({ serverCpuPerMDeliveries: cpu }), openLoopCold: step({ serverCpuPerMDeliveries: 2 * cpu, ...lim(gen.cold) }),
    sweep: gen.sat ? [matched] : [matched, best], saturation: gen.sat ? matched : best, sweepStop: 'p99', limitedBy: gen.sat ? 'generator' : 'server',
  };
}

function abRun(rooms: RoomResult[]): BenchResults {
  return {
    machine: { date: '2026-11-30T15:00:00.000Z', host: 'h', cpuModel: 'AMD EPYC', cpus: 2, memGiB: 24, kernel: 'Linux 6', node: 'v20.20.2', ngircd: 'ngIRCd 26.1', serverCpus: '1', generatorCpus: '0', workers: 4 },
    quick: false,
    servers: ['parley'],
    builds: [{ label: 'parley@old', protocolVersion: 1 }],
    rounds: 2,
    config: { roomSizes: [10], idleClients: 10_000, senders: 10, openLoopRate: 10, payloadBytes: 64, openLoopMs: 6000, warmupMs: 3000, stepMs: 3000, p99LimitMs: 100, floodLimits: '-' },
    rooms,
    memory: [],
    client: null,
    notes: [],
  };
}

/** The ratio row (this ÷ parley@old) as a map from column header to cell. */
function ratioRow(rooms: RoomResult[]): Map<string, string> {
  const t = abTable(abRun(rooms));
  const row = t.rows.find((r) => r[1]?.includes('this ÷ parley@old'));
  expect(row).toBeDefined();
  return new Map(t.head.map((h, i) => [h, row![i] ?? '']));
}

describe('bench A/B table', () => {
  it('marks no ratio when neither side was generator-limited', () => {
    const cells = ratioRow([room('parley', undefined, 40), room('parley', 'parley@old', 20), room('parley', undefined, 44), room('parley', 'parley@old', 22)]);
    for (const [h, c] of cells) expect(c, h).not.toContain('[gen]');
    expect(cells.get('CPU-s/M matched load')).toMatch(/^2\.00x/);
  });

  it("marks the cold, saturation and matched-load ratios of a round where the other build's steps were generator-limited", () => {
    const cells = ratioRow([room('parley', undefined, 40), room('parley', 'parley@old', 20, { cold: true, sat: true, matched: true }), room('parley', undefined, 44), room('parley', 'parley@old', 22)]);
    expect(cells.get('CPU-s/M cold')).toContain('[gen]');
    expect(cells.get('sat deliv/s')).toContain('[gen]');
    expect(cells.get('sat p99 ms')).toContain('[gen]');
    expect(cells.get('CPU-s/M matched load')).toContain('[gen]');
    expect(cells.get('CPU-s/M warm')).not.toContain('[gen]');
  });

  it('puts CPU at matched load under its own header, not under the load average', () => {
    const cells = ratioRow([room('parley', undefined, 40), room('parley', 'parley@old', 20)]);
    expect(cells.get('load avg') ?? '').not.toContain('matched');
    expect(cells.get('CPU-s/M matched load')).toMatch(/^2\.00x/);
  });
});

describe('bench turn order', () => {
  it('alternates at every room size from one round to the next, also with an even number of sizes', () => {
    const entries = ['this', 'old', 'ngircd'];
    for (const sizes of [2, 3]) {
      for (let size = 0; size < sizes; size++) {
        const firsts = [0, 1, 2, 3].map((round) => turnOrder(entries, round, size)[0]);
        expect(firsts, `${sizes} sizes, size ${size}`).toEqual(size % 2 === 0 ? ['this', 'ngircd', 'this', 'ngircd'] : ['ngircd', 'this', 'ngircd', 'this']);
      }
    }
  });
});

describe('bench targets: the node floor beside a case', () => {
  it("does not count the floor of a case whose own ngIRCd step was generator-limited (no \"below Node's floor\" for an n/a case)", () => {
    const g = room('ngircd', undefined, 20);
    g.openLoop = step({ serverCpuPerMDeliveries: 20, limit: 'generator' });
    const r = abRun([room('parley', undefined, 40), g, room('floor', undefined, 30)]);
    r.servers = ['parley', 'ngircd', 'floor'];
    delete r.builds;
    const warm = targets(r)[0]!.cases.find((c) => c.label === 'N=10 open loop')!;
    expect(warm.met).toBeNull();
    expect(warm.floorCounted).toBe(false);
  });
});

describe('bench targets: --p99-limit', () => {
  it('judges saturation "n/a (p99 limit ≠ default)" in a run with another p99 limit, and as usual with the default', () => {
    const mk = (limit: number): BenchResults => {
      const r = abRun([room('parley', undefined, 40), room('ngircd', undefined, 20)]);
      r.servers = ['parley', 'ngircd'];
      delete r.builds;
      r.config.p99LimitMs = limit;
      return r;
    };
    const sat = (r: BenchResults) => targets(r).find((t) => t.id === 2)!.cases[0]!;
    expect(sat(mk(100)).met).toBe(false);
    expect(sat(mk(1000)).met).toBeNull();
    expect(sat(mk(1000)).note).toBe('n/a (p99 limit ≠ default)');
    expect(targets(mk(1000)).find((t) => t.id === 3)!.cases[1]!.note).toBe('n/a (p99 limit ≠ default)');
  });
});
