// The targets of issue 15, each judged from one run's results: one row per target with its worst case,
// and the cases it is made of (room sizes, open loop and saturation). Ratios are parley ÷ ngIRCd from the
// same run. A case measured while the generator was the limit does not count: it is shown, marked, and
// judged "n/a", never "met".
import type { BenchResults, RoomResult, StepResult, TlsResults } from './results.js';
import type { ServerKind } from './servers.js';

/**
 * The p99 bound (ms) at which a saturation sweep stops by default (`--p99-limit`): targets 2 and 3's
 * saturation figures are of this bound; a run with another measures a different saturation.
 */
export const DEFAULT_P99_LIMIT_MS = 100;

/** One condition of a target. `met` is null when it could not be judged (missing, or generator-limited). */
export interface Case {
  label: string;
  parley: number | undefined;
  ngircd: number | undefined;
  /** parley ÷ ngIRCd, or undefined when the goal is absolute. */
  ratio: number | undefined;
  /** The figure compared with the goal: the ratio, or parley's own figure for an absolute goal. */
  judged: number | undefined;
  goal: string;
  /** How `judged` is compared with `goalValue` (null: reported, not judged). */
  cmp: '<=' | '>=' | '<' | null;
  goalValue: number;
  met: boolean | null;
  /** Why it is not judged, or what to know about it. */
  note: string;
  /**
   * The node floor's figure (bench/relay.ts in the same run; for target 4, a bare net.Server in
   * `npm run bench:floor`), when it was measured. See withFloor.
   */
  floor?: number | undefined;
  /** What the floor's figure is judged as against the goal: floor ÷ ngIRCd for a ratio goal, the figure for an absolute one. */
  floorJudged?: number | undefined;
  /** False when a step of the floor's was generator-limited: its figure is shown, and says nothing of the goal. */
  floorCounted?: boolean;
  /** Whether floorJudged is a ratio to ngIRCd (targets 1-3) or the floor's own figure (target 4). */
  floorRelative?: boolean;
}

/**
 * Put the node floor's figure beside a case: a goal that even the floor misses is below what Node.js itself
 * does (belowFloor). `relative`: the goal is a ratio to ngIRCd (targets 1-3), else absolute (target 4). Call it
 * after the case is judged: a judged case that came out n/a (met null) leaves the floor not counted.
 */
export function withFloor(c: Case, floor: number | undefined, relative: boolean, steps: Array<StepResult | null | undefined> = []): Case {
  const f = fin(floor);
  c.floor = f;
  c.floorJudged = relative ? div(f, c.ngircd) : f;
  // A case that is itself not judged (a step of its own generator-limited, a figure missing) says nothing of
  // the floor either: floor ÷ ngIRCd would divide by a figure that does not count.
  c.floorCounted = f !== undefined && !steps.some(generatorBound) && (c.cmp === null || c.met !== null);
  c.floorRelative = relative;
  return c;
}

/**
 * Whether the floor's judged figure `v` misses the case's goal: then so must any Node.js server doing at least
 * what the floor does, parley included. Undefined when there is no goal or no counted floor figure.
 */
export function belowFloor(c: Pick<Case, 'cmp' | 'goalValue'>, v: number | undefined): boolean | undefined {
  return c.cmp === null || v === undefined || !Number.isFinite(v) ? undefined : !meets(c, v);
}

/**
 * One line on a case and Node's floor, from the floor's judged figure `v` (a ratio to ngIRCd, or absolute in
 * the unit of the case's goal, as withFloor put it).
 */
export function floorVerdict(c: Pick<Case, 'cmp' | 'goalValue' | 'goal' | 'floorRelative'>, v: number | undefined): string {
  const below = belowFloor(c, v);
  if (below === undefined) return '';
  const unit = c.goal.split(' ').slice(2).join(' '); // "<= 4 KiB"
  const what = c.floorRelative !== false ? `the floor alone is ${v!.toFixed(2)}x ngIRCd` : `the floor alone is ${v!.toFixed(1)} ${unit}`.trimEnd();
  return below ? `below Node's floor: ${what}` : `within Node's floor: ${what}`;
}

export interface Target {
  id: number;
  label: string;
  cases: Case[];
}

/** The case that decides a target: the first not met, else the first not judged, else the first. */
export function decisive(t: Target): Case | undefined {
  const judged = t.cases.filter((c) => c.goal !== 'reported');
  return judged.find((c) => c.met === false) ?? judged.find((c) => c.met === null) ?? judged[0] ?? t.cases[0];
}

/** A target is met when every case is; not met when any is not; otherwise not judged (null). */
export function targetMet(t: Target): boolean | null {
  const judged = t.cases.filter((c) => c.goal !== 'reported');
  if (judged.some((c) => c.met === false)) return false;
  if (judged.length === 0 || judged.some((c) => c.met === null)) return null;
  return true;
}

/** a ÷ b, or undefined when either is missing or not finite, or b is 0. */
export const div = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? undefined : a / b;

const fin = (v: number | undefined): number | undefined => (v === undefined || !Number.isFinite(v) ? undefined : v);

/** The row of one server at room size n of this build (not an older build's: those are bench/ab.ts's). */
export function roomOf(r: BenchResults, kind: ServerKind, n: number): RoomResult | undefined {
  // An older build's rows (A/B mode, --parley-build) are in bench/ab.ts's table, not here.
  return r.rooms.find((x) => x.server === kind && x.n === n && x.build === undefined);
}

/** Whether a step's figures were limited by the generator (alone or with the server): they do not count. */
export const generatorBound = (s: StepResult | null | undefined): boolean => s?.limit === 'generator' || s?.limit === 'both';

/**
 * The highest sweep rate both servers passed at room size n: the same offered load on each; and the node
 * floor's step at that rate when it ran and passed it.
 */
export function matchedStep(r: BenchResults, n: number): { rate: number; parley: StepResult; ngircd: StepResult; floor?: StepResult } | null {
  const p = roomOf(r, 'parley', n);
  const g = roomOf(r, 'ngircd', n);
  if (!p || !g) return null;
  const m = matchedPair(p, g);
  if (!m) return null;
  const f = roomOf(r, 'floor', n);
  const floor = f?.sweep.find((s) => s.ratePerSender === m.rate && s.verdict === 'ok');
  return { rate: m.rate, parley: m.a, ngircd: m.b, ...(floor && { floor }) };
}

/** The steps of two servers' sweeps at the highest rate both passed, or null. */
export function matchedPair(a: RoomResult, b: RoomResult): { rate: number; a: StepResult; b: StepResult } | null {
  const ok = (x: RoomResult, rate: number): StepResult | undefined => x.sweep.find((s) => s.ratePerSender === rate && s.verdict === 'ok');
  const rates = a.sweep.filter((s) => s.verdict === 'ok' && ok(b, s.ratePerSender)).map((s) => s.ratePerSender);
  if (rates.length === 0) return null;
  const rate = Math.max(...rates);
  return { rate, a: ok(a, rate)!, b: ok(b, rate)! };
}

/** A ratio case: met when ratio `cmp` goal, unless a step was generator-limited or a figure is missing. */
function ratioCase(label: string, p: number | undefined, g: number | undefined, goal: number, cmp: '<=' | '>=', steps: Array<StepResult | null | undefined> = []): Case {
  const ratio = div(fin(p), fin(g));
  let met: boolean | null = ratio === undefined ? null : cmp === '<=' ? ratio <= goal : ratio >= goal;
  let note = '';
  if (steps.some(generatorBound)) {
    met = null;
    note = 'generator-limited: does not count';
  }
  return { label, parley: fin(p), ngircd: fin(g), ratio, judged: ratio, goal: `${cmp} ${goal.toFixed(2)}x`, cmp, goalValue: goal, met, note };
}

/** An absolute case: parley's figure against a goal. */
function absCase(label: string, p: number | undefined, g: number | undefined, goal: number, unit: string, ok: boolean, note = ''): Case {
  const v = fin(p);
  const strict = unit === 's'; // "in under 15 s"; the others are "at most"
  const met = v === undefined ? null : ok && (strict ? v < goal : v <= goal);
  return { label, parley: v, ngircd: fin(g), ratio: div(v, fin(g)), judged: v, goal: `${strict ? '<' : '<='} ${goal} ${unit}`, cmp: strict ? '<' : '<=', goalValue: goal, met, note };
}

/** A figure reported beside the others, not judged against a goal. */
function reported(label: string, p: number | undefined, g: number | undefined, note = ''): Case {
  return { label, parley: fin(p), ngircd: fin(g), ratio: div(fin(p), fin(g)), judged: undefined, goal: 'reported', cmp: null, goalValue: NaN, met: null, note };
}

/**
 * Target 8 from `npm run bench:tls` (bench/tls.ts): memory per idle client and CPU per delivery over TLS
 * beside plaintext, per server, and what a handshake costs. Reported, not judged: the issue asks for the
 * figures. A room step the generator limited is marked.
 */
export function tlsCases(t: TlsResults | null, build?: string): Case[] {
  if (!t) return [reported('TLS: memory per idle client, CPU per delivery', undefined, undefined, 'no bench/results/tls-latest.json: run npm run bench:tls')];
  const run = (server: 'parley' | 'ngircd', transport: 'plain' | 'tls') => t.runs.find((x) => x.server === server && x.transport === transport);
  const [pp, pt, gp, gt] = [run('parley', 'plain'), run('parley', 'tls'), run('ngircd', 'plain'), run('ngircd', 'tls')];
  // tls-latest.json is whatever bench:tls ran last: say so when that was another build than this run's.
  const other = build !== undefined && t.build !== build ? `, of build ${t.build ?? 'unrecorded'}, NOT this run's ${build}` : '';
  const when = `bench:tls ${t.date.slice(0, 16)}${other}`;
  const busy = [pp, pt, gp, gt].some((x) => x && x.room.generatorCores >= 0.85) ? '; a room step was generator-limited' : '';
  const lost = [pt, gt].map((x) => x?.room.lost ?? 0).reduce((a, b) => a + b, 0);
  const minus = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  return [
    reported(`RSS KiB per idle TLS client (${pt?.idle.clients ?? '-'} clients)`, pt?.idle.rssPerClientKiB, gt?.idle.rssPerClientKiB, when),
    reported('  of which TLS (TLS - plaintext)', minus(pt?.idle.rssPerClientKiB, pp?.idle.rssPerClientKiB), minus(gt?.idle.rssPerClientKiB, gp?.idle.rssPerClientKiB)),
    reported(`CPU-s/M deliveries over TLS, N=${pt?.room.n ?? '-'} open loop`, pt?.room.serverCpuPerMDeliveries, gt?.room.serverCpuPerMDeliveries, `${lost} lost${busy}`),
    reported('  TLS / plaintext CPU per delivery', div(pt?.room.serverCpuPerMDeliveries, pp?.room.serverCpuPerMDeliveries), div(gt?.room.serverCpuPerMDeliveries, gp?.room.serverCpuPerMDeliveries)),
    reported('server CPU µs per full TLS handshake', pt?.handshakes?.fullCpuUs, gt?.handshakes?.fullCpuUs),
    reported('server CPU µs per resumed handshake', pt?.handshakes?.resumedCpuUs, gt?.handshakes?.resumedCpuUs, `resumed: parley ${pt?.handshakes?.resumed ?? '-'}/${pt?.handshakes?.count ?? '-'}, ngIRCd ${gt?.handshakes?.resumed ?? '-'}/${gt?.handshakes?.count ?? '-'}`),
  ];
}

/** Whether `v` meets a case's goal. */
export function meets(c: Pick<Case, 'cmp' | 'goalValue'>, v: number): boolean {
  return c.cmp === '<=' ? v <= c.goalValue : c.cmp === '>=' ? v >= c.goalValue : c.cmp === '<' ? v < c.goalValue : false;
}

const P99_NOTE = 'n/a (p99 limit ≠ default)';

/** The room size whose memory after talking is target 4's second case: 1,000, or the largest room run. */
export function memoryRoomSize(ns: number[]): number {
  return ns.includes(1000) ? 1000 : Math.max(...ns);
}

export function targets(r: BenchResults): Target[] {
  const ns = r.config.roomSizes;
  // Saturation under another --p99-limit is another measure: not judged against the targets.
  const otherLimit = (r.config.p99LimitMs ?? DEFAULT_P99_LIMIT_MS) !== DEFAULT_P99_LIMIT_MS;
  const big = memoryRoomSize(ns);
  const t1: Case[] = [];
  const t2: Case[] = [];
  for (const n of ns) {
    const p = roomOf(r, 'parley', n);
    const g = roomOf(r, 'ngircd', n);
    // The node floor, when it ran: its figure beside each case of targets 1-3 (withFloor).
    const f = roomOf(r, 'floor', n);
    const floor = (c: Case, v: number | undefined, steps: Array<StepResult | null | undefined>): Case => (f ? withFloor(c, v, true, steps) : c);
    t1.push(floor(ratioCase(`N=${n} open loop`, p?.openLoop?.serverCpuPerMDeliveries, g?.openLoop?.serverCpuPerMDeliveries, 1, '<=', [p?.openLoop, g?.openLoop]), f?.openLoop?.serverCpuPerMDeliveries, [f?.openLoop]));
    if (p?.openLoopCold || g?.openLoopCold) {
      const pc = p?.openLoopCold?.serverCpuPerMDeliveries;
      const gc = g?.openLoopCold?.serverCpuPerMDeliveries;
      const cold: Case = { label: `N=${n} open loop, cold (reported)`, parley: fin(pc), ngircd: fin(gc), ratio: div(fin(pc), fin(gc)), judged: undefined, goal: 'reported', cmp: null, goalValue: NaN, met: null, note: 'the first messages of a fresh server' };
      t1.push(floor(cold, f?.openLoopCold?.serverCpuPerMDeliveries, [f?.openLoopCold]));
    }
    const m = matchedStep(r, n);
    const c = ratioCase(`N=${n} saturation${m ? ` (${m.rate} msg/s x ${m.parley.senders}, both passed)` : ''}`, m?.parley.serverCpuPerMDeliveries, m?.ngircd.serverCpuPerMDeliveries, 1, '<=', [m?.parley, m?.ngircd]);
    if (!m) c.note = 'no sweep rate both servers passed';
    // The floor at the same offered load, if it passed that rate too.
    t1.push(floor(c, m?.floor?.serverCpuPerMDeliveries, [m?.floor]));
    const lossSteps = p ? p.sweep.filter((s) => s.verdict === 'loss' || s.dead > 0).length : 0;
    const sat = ratioCase(`N=${n} (limited by ${p?.limitedBy ?? '-'} / ${g?.limitedBy ?? '-'})`, p?.saturation?.deliveriesPerSec, g?.saturation?.deliveriesPerSec, 1, '>=', [p?.saturation, g?.saturation]);
    if ([p?.limitedBy, g?.limitedBy].some((l) => l === 'generator' || l === 'both')) {
      sat.met = null;
      sat.note = 'the sweep ended on the generator: does not count';
    }
    if (otherLimit) {
      sat.met = null;
      sat.note = P99_NOTE;
    }
    // A loss is a fault under any p99 limit.
    if (lossSteps > 0) {
      sat.met = false;
      sat.note = `parley lost messages or clients in ${lossSteps} step(s)`;
    }
    // A floor whose sweep ended on the generator has a figure that is only a lower bound: not counted.
    const floorEnd = f?.limitedBy === 'generator' || f?.limitedBy === 'both' ? { ...f.saturation!, limit: 'generator' as const } : f?.saturation;
    t2.push(floor(sat, f?.saturation?.deliveriesPerSec, [floorEnd]));
  }
  const pb = roomOf(r, 'parley', big);
  const gb = roomOf(r, 'ngircd', big);
  const fb = roomOf(r, 'floor', big);
  const t3 = [ratioCase(`N=${big} open loop`, pb?.openLoop?.p99Ms, gb?.openLoop?.p99Ms, 0.8, '<=', [pb?.openLoop, gb?.openLoop])];
  const ps = pb?.saturation;
  const gs = gb?.saturation;
  t3.push({ label: `N=${big} at saturation (reported)`, parley: fin(ps?.p99Ms), ngircd: fin(gs?.p99Ms), ratio: div(fin(ps?.p99Ms), fin(gs?.p99Ms)), judged: undefined, goal: 'reported', cmp: null, goalValue: NaN, met: null, note: 'each at its own saturation rate' });
  if (otherLimit) t3[1]!.note = P99_NOTE;
  if (fb) {
    withFloor(t3[0]!, fb.openLoop?.p99Ms, true, [fb.openLoop]);
    withFloor(t3[1]!, fb.saturation?.p99Ms, true, [fb.saturation]);
  }

  const memP = r.memory.find((m) => m.server === 'parley');
  const memG = r.memory.find((m) => m.server === 'ngircd');
  const allIdle = memP !== undefined && memP.join.joined === r.config.idleClients;
  const t4 = [
    absCase(`idle, ${r.config.idleClients.toLocaleString('en-US')} clients`, memP?.rssPerClientKiB, memG?.rssPerClientKiB, 4, 'KiB', allIdle, allIdle ? '' : `only ${memP?.join.joined ?? 0} connected`),
    absCase(`N=${big} joined and talked`, pb?.rssPerClientTalkedKiB, gb?.rssPerClientTalkedKiB, 8, 'KiB', true),
  ];
  const t5 = [
    absCase(
      `${r.config.idleClients.toLocaleString('en-US')} clients into one room (IRC clients register only)`,
      memP === undefined ? undefined : memP.join.ms / 1000,
      undefined,
      15,
      's',
      allIdle,
      allIdle ? '' : `only ${memP?.join.joined ?? 0} got in`,
    ),
  ];
  const t6 = [absCase(`join storm, ${big.toLocaleString('en-US')} clients`, pb ? pb.join.ms / 1000 : undefined, gb ? gb.join.ms / 1000 : undefined, 1, 's', pb !== undefined && pb.join.joined === big)];
  const cl = r.client ?? undefined;
  // Files before session 6 measured the headless renderer inside the bench's process, not the client.
  const what = cl && cl.measured === undefined ? 'headless renderer, in-process' : 'the parley process, tmux 100x30';
  const t7 = [
    absCase(`CPU at ${cl?.rate ?? 1000} msg/s (share of a core; ${what})`, cl?.cpuShare, undefined, 0.3, 'core', true),
    absCase(`RSS with a full ${cl?.scrollback ?? 5000}-line scrollback (${what})`, cl?.rssMiB, undefined, 70, 'MiB', true),
  ];
  // A client that fell behind (the last message never reached its screen) was not fed at the rate: the server
  // held the senders back for it, and its CPU share is what the machine gave it, its scrollback maybe not full.
  if (cl?.lastShown === false) {
    for (const c of t7) {
      c.met = null;
      c.note = 'the client fell behind (its last message not on screen): does not count';
    }
  }
  const t8 = tlsCases(r.tls ?? null, r.machine.build);
  return [
    { id: 1, label: 'server CPU-s per million deliveries', cases: t1 },
    { id: 2, label: 'saturation deliveries/s, zero loss', cases: t2 },
    { id: 3, label: 'p99 latency ms', cases: t3 },
    { id: 4, label: 'server RSS KiB per client', cases: t4 },
    { id: 5, label: '10,000 clients join one room, s', cases: t5 },
    { id: 6, label: '1,000 clients join, s', cases: t6 },
    { id: 7, label: 'full-screen client', cases: t7 },
    { id: 8, label: 'TLS', cases: t8 },
  ];
}
