// npm run bench: parley-server against ngIRCd, same workloads, same generator, alternating in one run; beside
// them the node floor (bench/relay.ts: the least a Node.js server on parley's wire does) in the room steps.
//
//   node bench/dist/run.js [--quick] [--servers parley,ngircd,floor | --only KIND] [--workers N] [--no-pin] [--n 10,100,1000]
//                          [--idle 10000] [--profile [--rate R]] [--profile-join] [--no-cluster] [--out DIR]
//                          [--join-only [--rounds K]]   (join storms alone, with what each cost the server)
//   node bench/dist/run.js --report bench/results/latest.json   (table and chart of an earlier run)
//   node bench/dist/run.js --parley-build DIR [--parley-build DIR2] [--rounds 3] [--n 10,100,1000]
//                          (A/B: older parley builds beside this one and ngIRCd, rooms only; bench/README.md)
//
// Workloads, for each room size N (one room, everyone in it):
//   join storm   N clients connect and join at once; time until the last is in the room
//   open loop    10 senders x 10 msg/s, 64-byte payload (sequence number + send time), counted at receivers;
//                once on the fresh server (cold, reported), then after a warm-up (counted; --no-warmup: once)
//   saturation   the senders' rate doubles until p99 > 100 ms or a message is lost, then bisects twice
// and once per server: 10,000 idle clients, for RSS per connected client. Then the full-screen client under
// 1,000 msg/s (bench/client.ts: the parley client process on a tmux terminal), and the cluster step (bench/cluster.ts: one room on 1, 2 and 3 parley
// nodes sharing a redis-server; skipped without redis-server) — the cost of the Redis bus per delivery.
// Progress goes to stderr; the table to stdout; JSON and the SVG chart to bench/results/.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOf } from './build.js';
import { raiseFdLimit } from './fdlimit.js';
import type { ClientSpec } from './ipc.js';
import { Pool, type WorkerHandle } from './pool.js';
import { PAYLOAD_BYTES, PAYLOAD_FIELDS_BYTES, nowUs, type ProtoName } from './protocols.js';
import { formatProfile, summarizeProfile } from './profile.js';
import { printReport, writeChart } from './report.js';
import type { BenchResults, ClientResult, ClusterResult, JoinResult, Machine, MemoryResult, RoomResult, StepResult, TlsResults } from './results.js';
import {
  LABEL,
  NGIRCD_INSTALL_HINT,
  findNgircd,
  ngircdVersion,
  startNgircd,
  machineBusySec,
  procCpuSec,
  parleyBuild,
  snapshotParley,
  startFloor,
  startParley,
  turnOrder,
  type ParleyBuild,
  type RunningServer,
  type ServerKind,
} from './servers.js';
import { snapshotLines } from './snapshot.js';
import { Histogram, summarize } from './stats.js';
import { DEFAULT_P99_LIMIT_MS, memoryRoomSize } from './targets.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// ---- options ------------------------------------------------------------------------------------------

interface Options {
  quick: boolean;
  /** The servers measured, in the order they are first run (--servers; the idle step leaves the floor out). */
  servers: ServerKind[];
  workers: number;
  pin: boolean;
  roomSizes: number[];
  idleClients: number;
  /** Handshakes in flight per worker while the idle clients connect (0: all at once). */
  idleInFlight: number;
  idleTimeoutMs: number;
  idleOnly: boolean;
  /** Only join storms: `rounds` fresh servers per room size, each storm's counts printed (A/B of a change). */
  joinOnly: boolean;
  /** Skip the saturation sweeps and the idle clients (experiments). */
  openOnly: boolean;
  senders: number;
  /** Spread the senders' sends across each interval (the default) instead of all on one tick (--burst). */
  stagger: boolean;
  payloadBytes: number;
  openLoopRate: number;
  openLoopMs: number;
  /** Warm-up before the counted open loop, ms (0 with --no-warmup). */
  warmupMs: number;
  stepMs: number;
  maxSteps: number;
  bisections: number;
  p99LimitMs: number;
  /** Compare variants of the load on one room (see Bench.explain) instead of the full run. */
  explain: boolean;
  /** Also run the full-screen client's bench (bench/client.ts) at the end. */
  client: boolean;
  /** Also run the cluster step (bench/cluster.ts) at the end, when redis-server is installed. */
  cluster: boolean;
  profile: boolean;
  /** Profile the join storm alone instead of a saturating step. */
  profileJoin: boolean;
  profileRate: number;
  profileMs: number;
  outDir: string;
  /** Older parley builds measured beside this one (--parley-build DIR, repeatable): the A/B mode. */
  builds: ParleyBuild[];
  /** Times the rooms are measured, each round alternating the servers' order (--rounds). */
  rounds: number;
}

function parseArgs(argv: string[]): Options {
  const has = (flag: string): boolean => argv.includes(flag);
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, fallback: number): number => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} wants a positive number, not "${v}"`);
    return n;
  };
  const known = ['--parley-build', '--rounds', '--p99-limit', '--quick', '--only', '--servers', '--workers', '--no-pin', '--n', '--idle', '--idle-inflight', '--idle-only', '--open-only', '--profile', '--profile-join', '--report', '--rate', '--out', '--help', '--burst', '--payload', '--no-client', '--explain', '--no-warmup', '--no-cluster', '--join-only'];
  for (const a of argv) if (a.startsWith('--') && !known.includes(a)) throw new Error(`unknown option ${a} (see --help)`);
  if (has('--help')) {
    process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 17).map((l) => l.slice(3)).join('\n') + '\n');
    process.exit(0);
  }
  const quick = has('--quick') || process.env.BENCH_QUICK === '1';
  const n = value('--n');
  const builds = argv.flatMap((a, i) => (a === '--parley-build' && argv[i + 1] !== undefined ? [parleyBuild(argv[i + 1]!)] : []));
  // The A/B mode compares builds on rooms: the idle step, the client and the cluster are of this build only.
  const ab = builds.length > 0;
  // The node floor is in a full run's room steps; the A/B mode's table has no column for it unless asked.
  // Without builds, the report and the targets read one row per server and size: further rounds would be measured and never read.
  if (has('--rounds') && !ab) throw new Error('--rounds repeats the A/B rooms: give it with --parley-build DIR (a run without builds is one round)');
  const kinds = (value('--servers') ?? value('--only') ?? (ab ? 'parley,ngircd' : 'parley,ngircd,floor')).split(',');
  for (const k of kinds) if (!(k in LABEL)) throw new Error(`--servers takes parley, ngircd and floor, not "${k}"`);
  return {
    builds,
    rounds: Math.floor(num('--rounds', 1)),
    quick,
    servers: [...new Set(kinds as ServerKind[])],
    workers: Math.max(1, Math.floor(num('--workers', 4))),
    pin: !has('--no-pin'),
    roomSizes: n !== undefined ? n.split(',').map((s) => Math.max(2, Number(s))) : quick ? [10, 100] : [10, 100, 1000],
    idleClients: Math.floor(num('--idle', quick ? 1000 : 10_000)),
    idleInFlight: value('--idle-inflight') === '0' ? 0 : Math.floor(num('--idle-inflight', 8)),
    idleTimeoutMs: quick ? 20_000 : 150_000,
    idleOnly: has('--idle-only'),
    joinOnly: has('--join-only'),
    openOnly: has('--open-only'),
    senders: 10,
    stagger: !has('--burst'),
    payloadBytes: Math.max(PAYLOAD_FIELDS_BYTES, Math.floor(num('--payload', PAYLOAD_BYTES))),
    openLoopRate: 10,
    openLoopMs: quick ? 1500 : 6000,
    warmupMs: has('--no-warmup') ? 0 : quick ? 1000 : 3000,
    stepMs: quick ? 1000 : 3000,
    maxSteps: quick ? 4 : 14,
    bisections: quick ? 1 : 2,
    p99LimitMs: num('--p99-limit', DEFAULT_P99_LIMIT_MS),
    explain: has('--explain'),
    client: !ab && !has('--no-client') && !has('--open-only') && !has('--idle-only') && !has('--join-only'),
    cluster: !ab && !has('--no-cluster') && !has('--open-only') && !has('--idle-only') && !has('--join-only'),
    profile: has('--profile') || has('--profile-join'),
    profileJoin: has('--profile-join'),
    profileRate: num('--rate', 20),
    profileMs: quick ? 4000 : 10_000,
    outDir: path.resolve(value('--out') ?? path.join(here, '..', 'results')),
  };
}

/**
 * The cluster step: bench/cluster.ts in its own process (it starts its redis-server and nodes), its rows
 * read back from JSON. Null when redis-server is not installed or the step failed (said on stderr).
 */
function clusterStep(dir: string, quick: boolean): ClusterResult | null {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    log('cluster step skipped: no redis-server (apt-get install redis-server)');
    return null;
  }
  const file = path.join(dir, 'cluster.json');
  const args = [path.join(here, 'cluster.js'), '--json', file, ...(quick ? ['--clients', '30', '--seconds', '3'] : [])];
  try {
    execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
    const result = JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterResult;
    for (const r of result.rows) log(`cluster: ${r.nodes} node(s) ${Math.round(r.perSecond)} deliveries/s, ${r.cpuUsPerDelivery.toFixed(1)} µs CPU per delivery, p99 ${r.p99.toFixed(1)} ms`);
    for (const line of snapshotLines(result.snapshots ?? [])) log(`cluster: ${line}`);
    return result;
  } catch (err) {
    log(`cluster step failed: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
}

// ---- the machine --------------------------------------------------------------------------------------

const log = (line: string): void => {
  process.stderr.write(line + '\n');
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Server on the last core, generator on the others; null when there is only one core or pinning is off. */
function planCpus(pin: boolean): { server: string | null; generator: string | null } {
  const n = os.availableParallelism();
  if (!pin || n < 2) return { server: null, generator: null };
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    log('warning: taskset not found (util-linux); running unpinned');
    return { server: null, generator: null };
  }
  return { server: String(n - 1), generator: n === 2 ? '0' : `0-${n - 2}` };
}

function pinSelf(cpus: string): void {
  // -a: every thread of this process; the workers forked later inherit the mask.
  execFileSync('taskset', ['-a', '-cp', cpus, String(process.pid)], { stdio: 'ignore' });
}

function machineInfo(opts: Options, ngircd: string | null, cpus: { server: string | null; generator: string | null }, coreCount: number): Machine {
  return {
    date: new Date().toISOString(),
    build: buildOf(),
    host: os.hostname(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpus: coreCount,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    ngircd: ngircd === null ? null : ngircdVersion(ngircd),
    serverCpus: cpus.server,
    generatorCpus: cpus.generator,
    workers: opts.workers,
  };
}

// ---- the bench ----------------------------------------------------------------------------------------

const PROTO: Record<ServerKind, ProtoName> = { parley: 'parley', ngircd: 'irc', floor: 'parley' };

/** An older parley build of the A/B mode and the entry point of its snapshot in the run's directory. */
interface BuildRun {
  build: ParleyBuild;
  main: string;
}

/** Other people's CPU (in cores) above which a step counts as measured on a busy machine. */
export const QUIET_CORES = 0.3;
/**
 * How long the memory readings of target 4 (the idle step, and the talked room it reads) wait after the last
 * join or message: memory "per idle client" and "after talking" is what a server holds once it is quiet. A
 * Node server gives its young generation and old space's garbage back only then (parley collects once after
 * 6-9 s of quiet, again after 12 s more if V8 kept its young generation, src/server/idlegc.ts; the pages go
 * back over the next second or so); a C server frees at once, so the wait changes nothing for ngIRCd. The
 * readings at once are kept beside them.
 */
const SETTLE_MS = 25_000;
/** Tries of one measured step while it fails on a busy machine. */
const NOISY_TRIES = 3;

class Bench {
  private generation = 0;
  private runId = 0;
  private server: RunningServer | null = null;
  private roomSize = 0;
  /** What the load clients speak to the server now running. */
  private proto: ProtoName = 'parley';

  constructor(
    private readonly opts: Options,
    private readonly pool: Pool,
    private readonly dir: string,
    private readonly serverCpus: string | null,
    private readonly ngircdBin: string | null,
    private readonly generatorCores: number,
    private readonly parleyMain: string,
  ) {
    this.quietBudgetMs = opts.quick ? 8_000 : 90_000;
  }

  /** Workers that hold at least one sender in the current room. */
  private senderWorkers: WorkerHandle[] = [];

  /** Seconds left for waiting on a busy machine, over the whole run. */
  private quietBudgetMs: number;

  /** CPU of the machine that is neither the server nor the generator, in cores, over `ms`. */
  private async otherLoad(ms: number): Promise<number> {
    const ours = (): number =>
      (this.server ? this.server.cpuSec() : 0) +
      this.pool.workers.reduce((a, w) => a + procCpuSec(w.pid), 0) +
      (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    const m0 = machineBusySec();
    const o0 = ours();
    await sleep(ms);
    return Math.max(0, (machineBusySec() - m0 - (ours() - o0)) / (ms / 1000));
  }

  /**
   * The machine may be shared: before a measured step, wait (at most 5 s, and 90 s over the whole
   * run) until the rest of the machine uses less than 0.3 of a core. Returns the load it settled for.
   */
  private async waitQuiet(): Promise<number> {
    let other = await this.otherLoad(300);
    const start = Date.now();
    const limit = Math.min(this.opts.quick ? 2_000 : 5_000, this.quietBudgetMs);
    while (other > QUIET_CORES && Date.now() - start < limit) other = await this.otherLoad(500);
    this.quietBudgetMs = Math.max(0, this.quietBudgetMs - (Date.now() - start));
    return other;
  }

  /** Start `kind`, or the older parley build `build` (its snapshot's entry point), greeted in its version. */
  private async startServer(kind: ServerKind, nodeArgs: string[] = [], build?: BuildRun): Promise<RunningServer> {
    const base = { dir: this.dir, cpus: this.serverCpus };
    this.proto = build === undefined ? PROTO[kind] : build.build.version >= 2 ? 'parley' : 'parley1';
    this.server =
      kind === 'parley'
        ? await startParley({ ...base, nodeArgs, parleyMain: build?.main ?? this.parleyMain })
        : kind === 'floor'
          ? await startFloor(base)
          : await startNgircd(this.ngircdBin!, base);
    return this.server;
  }

  /** Stop the server first, then drop the clients: the other order makes the server announce N departures to N peers. */
  async teardown(graceMs = 3000): Promise<void> {
    if (this.server) await this.server.stop(graceMs);
    this.server = null;
    await this.pool.all((id) => ({ cmd: 'close', id }), 'closed', 30_000);
    this.roomSize = 0;
  }

  /** N clients connect and join at once (the join storm). */
  async buildRoom(kind: ServerKind, n: number, senders: number, timeoutMs: number, maxInFlight = 0, enterRoom = true, topUp = false): Promise<JoinResult> {
    const server = this.server!;
    const gen = ++this.generation;
    const workers = this.pool.workers;
    const share: ClientSpec[][] = workers.map(() => []);
    // Round robin, senders included: each sender is also a receiver of everyone else's messages, so
    // piling them into one process would make that process the first to fall behind.
    for (let i = 0; i < n; i++) share[i % workers.length]!.push({ nick: `g${gen}u${i}`, sender: i < senders ? i : -1 });
    if (senders > 0) this.senderWorkers = workers.filter((w) => share[w.index]!.some((c) => c.sender >= 0));
    const t0 = nowUs();
    const replies = await this.pool.all(
      (id, w) => ({ cmd: 'connect', id, proto: this.proto, host: server.host, port: server.port, clients: share[w.index]!, timeoutMs, maxInFlight, enterRoom }),
      'connected',
      timeoutMs + 30_000,
    );
    const joined = replies.reduce((a, r) => a + r.joined, 0);
    const failed = replies.reduce((a, r) => a + r.failed, 0);
    const last = Math.max(...replies.map((r) => r.lastJoinUs));
    const result: JoinResult = { n, joined, failed, ms: joined > 0 ? (last - t0) / 1000 : NaN, errors: replies.flatMap((r) => r.errors).slice(0, 5), toppedUp: 0 };
    const since = (us: number[]): number[] => us.map((t) => (t - t0) / 1000).sort((a, b) => a - b);
    const up = since(replies.flatMap((r) => r.connectUs));
    const inRoom = since(replies.flatMap((r) => r.joinUs));
    if (up.length > 0) result.connectedMs = [up[0]!, up[up.length >> 1]!, up[up.length - 1]!];
    if (inRoom.length > 0) result.inRoomMs = [inRoom[0]!, inRoom[inRoom.length >> 1]!];
    if (topUp && failed > 0) {
      // The storm's stragglers (a listen backlog overflowing, SYN retries on a busy machine) get one more
      // try, a few at a time, so the measured workloads still run on a full room.
      const again = await this.pool.all(
        (id, w) => ({
          cmd: 'connect',
          id,
          proto: this.proto,
          host: server.host,
          port: server.port,
          clients: replies[w.index]!.failedSpecs.map((c) => ({ ...c, nick: c.nick.replace('u', 'r') })),
          timeoutMs: 60_000,
          maxInFlight: 4,
          enterRoom,
        }),
        'connected',
        90_000,
      );
      result.toppedUp = again.reduce((a, r) => a + r.joined, 0);
    }
    this.roomSize = joined + result.toppedUp;
    return result;
  }

  /** One measured step: the senders send at `rate` msg/s each for `durationMs`; every delivery is timed. */
  async step(rate: number, durationMs: number, variant: { stagger: boolean; payloadBytes: number } = this.opts): Promise<StepResult> {
    await this.waitQuiet();
    const server = this.server!;
    const n = this.roomSize;
    const run = ++this.runId;
    const startUs = nowUs() + 100_000;
    const senderWorkers = this.senderWorkers;
    const srvCpu0 = server.cpuSec();
    const srvSys0 = server.sysSec();
    const sys0 = server.syscalls();
    const machine0 = machineBusySec();
    const parent0 = process.cpuUsage();
    const startId = this.pool.id();
    const sentP = senderWorkers.map((w) => w.expect('sent', startId, durationMs + 30_000));
    const startedP = this.pool.workers.map((w) => w.expect('started', startId, 10_000));
    for (const w of this.pool.workers) w.post({ cmd: 'start', id: startId, run, ratePerSender: rate, startUs, durationMs, payloadBytes: variant.payloadBytes, stagger: variant.stagger });
    const started = await Promise.all(startedP);
    const sentReplies = await Promise.all(sentP);
    const sent = sentReplies.reduce((a, r) => a + r.sent, 0);
    const target = sentReplies.reduce((a, r) => a + r.target, 0);
    const senderLagMs = Math.max(...sentReplies.map((r) => r.maxLagMs));
    const expected = sent * (n - 1);

    // Drain: wait until everything sent has arrived everywhere, or nothing more arrives for 2 s.
    const sentAt = nowUs();
    let lastTotal = -1;
    let lastChange = sentAt;
    for (;;) {
      const counts = await this.pool.all((id) => ({ cmd: 'count', id }), 'count', 10_000);
      const total = counts.reduce((a, c) => a + c.received, 0);
      const now = nowUs();
      if (total >= expected) break;
      if (total !== lastTotal) {
        lastTotal = total;
        lastChange = now;
      } else if (now - lastChange > 2_000_000) break;
      if (now - sentAt > 20_000_000) break;
      await sleep(50);
    }
    const collected = await this.pool.all((id) => ({ cmd: 'collect', id }), 'collected', 10_000);
    const srvCpu1 = server.cpuSec();
    const srvSys1 = server.sysSec();
    const sys1 = server.syscalls();
    const machine1 = machineBusySec();
    const parent1 = process.cpuUsage(parent0);
    const hist = new Histogram();
    for (const c of collected) hist.merge(c.hist, c.maxUs);
    const lat = summarize(hist);
    const received = collected.reduce((a, c) => a + c.received, 0);
    const dead = collected.reduce((a, c) => a + c.dead, 0);
    const lastUs = Math.max(...collected.map((c) => c.lastUs));
    const windowSec = Math.max(durationMs / 1000, (Math.max(lastUs, sentAt) - startUs) / 1e6);
    const perWorker = collected.map((c, i) => c.cpuSec - started[i]!.cpuSec);
    const perWorkerSys = collected.map((c, i) => c.sysSec - started[i]!.sysSec);
    const generatorCpuSec = perWorker.reduce((a, b) => a + b, 0) + (parent1.user + parent1.system) / 1e6;
    const serverCpuSec = srvCpu1 - srvCpu0;
    const lost = Math.max(0, expected - received);
    const res: StepResult = {
      ratePerSender: rate,
      senders: sentReplies.length > 0 ? Math.min(this.opts.senders, n) : 0,
      n,
      durationMs,
      sent,
      target,
      senderLagMs,
      expected,
      received,
      lost,
      dead,
      deliveriesPerSec: lastUs > startUs ? received / ((lastUs - startUs) / 1e6) : 0,
      p50Ms: lat.p50Ms,
      p99Ms: lat.p99Ms,
      maxMs: lat.maxMs,
      serverCpuSec,
      serverCpuPerMDeliveries: received > 0 ? (serverCpuSec / received) * 1e6 : NaN,
      serverSysShare: serverCpuSec > 0 ? (srvSys1 - srvSys0) / serverCpuSec : NaN,
      serverWritesPerDelivery: received > 0 ? (sys1.writes - sys0.writes) / received : NaN,
      serverReadsPerMessage: sent > 0 ? (sys1.reads - sys0.reads) / sent : NaN,
      serverBytesPerDelivery: received > 0 ? (sys1.written - sys0.written) / received : NaN,
      generatorSleepsPerDelivery: received > 0 ? collected.reduce((a, c, i) => a + c.sleeps - started[i]!.sleeps, 0) / received : NaN,
      serverCores: serverCpuSec / windowSec,
      generatorCpuSec,
      generatorCores: generatorCpuSec / windowSec,
      generatorSysShare: (perWorkerSys.reduce((a, b) => a + b, 0) + parent1.system / 1e6) / Math.max(1e-9, generatorCpuSec),
      generatorMaxProcessCores: Math.max(...perWorker) / windowSec,
      otherCores: Math.max(0, (machine1 - machine0 - serverCpuSec - generatorCpuSec) / ((nowUs() - startUs) / 1e6)),
      serverRssKiB: server.rssKiB(),
      verdict: 'ok',
      limit: 'neither',
    };
    const serverBound = res.serverCores >= 0.85;
    const generatorBound =
      res.generatorCores >= 0.85 * this.generatorCores || res.generatorMaxProcessCores >= 0.9 || sent < 0.98 * target || senderLagMs > 200;
    res.limit = serverBound && generatorBound ? 'both' : serverBound ? 'server' : generatorBound ? 'generator' : 'neither';
    if (lost > 0 || dead > 0 || !server.alive()) res.verdict = 'loss';
    else if (!(res.p99Ms <= this.opts.p99LimitMs)) res.verdict = 'p99';
    else if (sent < 0.98 * target || senderLagMs > 200) res.verdict = 'generator';
    return res;
  }

  /** Join storm, open loop and saturation sweep for one server at one room size. */
  async room(kind: ServerKind, n: number, build?: BuildRun): Promise<RoomResult> {
    const o = this.opts;
    const label = `${build?.build.label ?? LABEL[kind]} N=${n}`;
    const senders = Math.min(o.senders, n);
    const joinTimeout = Math.max(60_000, n * 30);
    const server = await this.startServer(kind, [], build);
    await sleep(300);
    const rssBaseKiB = server.rssKiB();
    const join = await this.buildRoom(kind, n, senders, joinTimeout, 0, true, true);
    await sleep(500);
    const rssJoinedKiB = server.rssKiB();
    log(
      `${label}: ${join.joined}/${n} joined in ${(join.ms / 1000).toFixed(2)} s` +
        (join.failed ? `; ${join.failed} failed (${join.errors.join('; ')}), ${join.toppedUp} joined on a second try` : ''),
    );
    const result: RoomResult = {
      server: kind,
      ...(build && { build: build.build.label }),
      n,
      join,
      rssBaseKiB,
      rssJoinedKiB,
      rssPerClientKiB: (rssJoinedKiB - rssBaseKiB) / Math.max(1, join.joined),
      rssTalkedKiB: NaN,
      rssPerClientTalkedKiB: NaN,
      openLoop: null,
      sweep: [],
      saturation: null,
      sweepStop: 'not run',
      limitedBy: 'unknown',
    };
    try {
      if (join.joined + join.toppedUp < n) {
        result.sweepStop = 'room incomplete';
        return result;
      }
      if (o.warmupMs > 0) {
        // The first messages of a fresh server, then a warm-up, then the open loop that counts: a server
        // that has run for a minute is what people use, and parley's JavaScript is compiled by then
        // (bench/README.md, "Cold and warm"). The cold figure is kept and printed.
        result.openLoopCold = await this.step(o.openLoopRate, o.openLoopMs);
        log(`${label}: open loop, cold (reported, not judged) ${fmtStep(result.openLoopCold)}`);
        result.warmup = await this.step(warmupRate(senders, n, o.openLoopRate), o.warmupMs);
        log(`${label}: warm-up (not counted) ${fmtStep(result.warmup)}`);
      }
      let open = await this.step(o.openLoopRate, o.openLoopMs);
      log(`${label}: open loop ${fmtStep(open)}`);
      for (let t = 1; t < NOISY_TRIES && open.otherCores > QUIET_CORES; t++) {
        const again = await this.step(o.openLoopRate, o.openLoopMs);
        log(`${label}: open loop (again, the machine was busy) ${fmtStep(again)}`);
        if (again.otherCores < open.otherCores) open = again;
      }
      result.openLoop = open;
      const healthy = async (s: StepResult): Promise<void> => {
        if (s.dead === 0 && s.lost === 0 && this.server?.alive()) return;
        log(`${label}: rebuilding the room after losses`);
        await this.teardown();
        await this.startServer(kind, [], build);
        const again = await this.buildRoom(kind, n, senders, joinTimeout, 0, true, true);
        if (again.joined + again.toppedUp < n) throw new Error(`${label}: could not rebuild the room (${again.joined}/${n})`);
      };
      await healthy(result.openLoop);

      // Saturation: double until p99 > limit or a loss, then bisect between the last pass and the failure.
      let rate = o.openLoopRate * 2 ** Math.max(0, Math.floor(Math.log2(20_000 / (senders * (n - 1) * o.openLoopRate))));
      let good: StepResult | null = null;
      let bad: StepResult | null = null;
      // A p99 failure is tried again before it counts (up to 3 tries while the machine was busy during the
      // failure): one stall of a shared machine should not end a sweep.
      const measure = async (r: number, what: string): Promise<StepResult> => {
        let s = await this.step(r, o.stepMs);
        result.sweep.push(s);
        log(`${label}: ${what} ${fmtStep(s)}`);
        for (let t = 1; s.verdict === 'p99' && (t === 1 || (t < NOISY_TRIES && s.otherCores > QUIET_CORES)); t++) {
          s = await this.step(r, o.stepMs);
          result.sweep.push(s);
          log(`${label}: ${what} (again) ${fmtStep(s)}`);
        }
        return s;
      };
      for (let i = 0; i < (o.openOnly ? 0 : o.maxSteps); i++) {
        const s = await measure(rate, 'sweep');
        if (s.verdict === 'ok') {
          good = s;
          rate *= 2;
        } else {
          bad = s;
          await healthy(s);
          break;
        }
      }
      for (let b = 0; b < o.bisections && good && bad; b++) {
        const mid = Math.round((good.ratePerSender + bad.ratePerSender) / 2);
        if (mid <= good.ratePerSender || mid >= bad.ratePerSender) break;
        const s = await measure(mid, 'bisect');
        if (s.verdict === 'ok') good = s;
        else {
          bad = s;
          await healthy(s);
        }
      }
      const passing = result.sweep.filter((s) => s.verdict === 'ok');
      result.saturation = passing.reduce<StepResult | null>((best, s) => (best === null || s.deliveriesPerSec > best.deliveriesPerSec ? s : best), null);
      const firstBad = bad ?? undefined;
      result.sweepStop = firstBad ? `${firstBad.verdict} at ${firstBad.ratePerSender} msg/s per sender` : `reached ${o.maxSteps} steps`;
      if (firstBad) {
        const serverBusy = firstBad.serverCores >= 0.85;
        const genBusy = firstBad.generatorCores >= 0.85 * this.generatorCores || firstBad.generatorMaxProcessCores >= 0.9;
        result.limitedBy = serverBusy && genBusy ? 'both' : serverBusy ? 'server' : genBusy ? 'generator' : 'unknown';
        if (firstBad.verdict === 'generator') result.limitedBy = 'generator';
      } else result.limitedBy = 'neither';
      return result;
    } finally {
      result.loadAverage = os.loadavg();
      if (this.server?.alive()) {
        result.rssTalkedKiB = this.server.rssKiB();
        if (n === memoryRoomSize(o.roomSizes)) {
          // Target 4 reads this room's memory "after talking": what the server holds once the talk is over,
          // read after it has been quiet a while (a Node server gives memory back only once it is quiet).
          result.rssTalkedAtOnceKiB = result.rssTalkedKiB;
          await sleep(SETTLE_MS);
          if (this.server.alive()) result.rssTalkedKiB = this.server.rssKiB();
          log(`${label}: RSS after talking ${(result.rssTalkedAtOnceKiB / 1024).toFixed(1)} MiB at once, ${(result.rssTalkedKiB / 1024).toFixed(1)} MiB after ${SETTLE_MS / 1000} s quiet`);
        }
        result.rssPerClientTalkedKiB = (result.rssTalkedKiB - rssBaseKiB) / Math.max(1, this.roomSize);
      }
      await this.teardown();
    }
  }

  /**
   * --join-only: the join storm alone on a fresh server, with what it cost: the server's CPU, the
   * generator's, the server's bytes and write() calls, and the kernel's listen-queue overflows meanwhile
   * (a dropped SYN or final ACK is retried after ~1 s, which would put a floor under the storm's time).
   */
  async joinStorm(kind: ServerKind, n: number): Promise<void> {
    const server = await this.startServer(kind);
    try {
      await sleep(300);
      const other = await this.waitQuiet();
      const cpu0 = server.cpuSec();
      const gen0 = this.pool.workers.reduce((a, w) => a + procCpuSec(w.pid), 0);
      const io0 = server.syscalls();
      const drops0 = listenDrops();
      const sys0 = server.sysSec();
      // BENCH_STRACE=FILE: the server's system calls during the storm (strace -c -f), summed into FILE.
      const strace = process.env.BENCH_STRACE ? spawn('strace', ['-c', '-f', '-o', process.env.BENCH_STRACE, '-p', String(server.pid)], { stdio: 'ignore' }) : null;
      if (strace) await sleep(500);
      const join = await this.buildRoom(kind, n, Math.min(this.opts.senders, n), Math.max(60_000, n * 30), 0, true, false);
      const cpu = server.cpuSec() - cpu0;
      const gen = this.pool.workers.reduce((a, w) => a + procCpuSec(w.pid), 0) - gen0;
      const io1 = server.syscalls();
      const sys = server.sysSec() - sys0;
      if (strace) {
        strace.kill('SIGINT');
        await new Promise((r) => strace.once('exit', r));
      }
      const ms = (v: number[] | undefined): string => (v ?? []).map((x) => x.toFixed(0)).join('/');
      log(
        `${LABEL[kind]} join storm N=${n}: ${join.joined}/${n} in ${(join.ms / 1000).toFixed(3)} s (connected at ${ms(join.connectedMs)} ms first/median/last, ` +
          `in the room at ${ms(join.inRoomMs)} ms first/median); server CPU ${cpu.toFixed(3)} s (${Math.round((100 * sys) / cpu)}% sys), ` +
          `generator CPU ${gen.toFixed(2)} s; server wrote ${(io1.written - io0.written).toLocaleString('en-US')} bytes in ` +
          `${(io1.writes - io0.writes).toLocaleString('en-US')} write() calls; listen drops ${listenDrops() - drops0}; other ${other.toFixed(2)} cores before; ` +
          `load ${os.loadavg()[0]!.toFixed(2)}`,
      );
    } finally {
      await this.teardown();
    }
  }

  /** 10,000 idle clients in the room: resident memory per connected client. */
  async memory(kind: ServerKind, n: number): Promise<MemoryResult> {
    const server = await this.startServer(kind);
    try {
      await sleep(500);
      const rssBaseKiB = server.rssKiB();
      const cpu0 = server.cpuSec();
      const gen0 = this.pool.workers.reduce((a, w) => a + procCpuSec(w.pid), 0);
      const io0 = server.syscalls();
      const machine0 = machineBusySec();
      // IRC clients register and stay out of the channel: 10,000 JOINs to one channel cost ngIRCd O(N^2)
      // notices and do not finish in minutes (nor do 10,000 hellos to parley, whose hello enters the room).
      const join = await this.buildRoom(kind, n, 0, this.opts.idleTimeoutMs, this.opts.idleInFlight, false);
      const serverCpuSecJoin = server.cpuSec() - cpu0;
      const generatorCpuSecJoin = this.pool.workers.reduce((a, w) => a + procCpuSec(w.pid), 0) - gen0;
      const io1 = server.syscalls();
      const otherCoresJoin = Math.max(0, machineBusySec() - machine0 - serverCpuSecJoin - generatorCpuSecJoin) / Math.max(1e-9, join.ms / 1000);
      await sleep(2000);
      const rssIdleAtOnceKiB = server.rssKiB();
      await sleep(SETTLE_MS - 2000);
      const rssIdleKiB = server.rssKiB();
      const res: MemoryResult = {
        server: kind,
        join,
        rssBaseKiB,
        rssIdleKiB,
        rssIdleAtOnceKiB,
        rssPerClientKiB: (rssIdleKiB - rssBaseKiB) / Math.max(1, join.joined),
        serverCpuSecJoin,
        generatorCpuSecJoin,
        otherCoresJoin,
        bytesWrittenJoin: io1.written - io0.written,
        writesJoin: io1.writes - io0.writes,
      };
      log(
        `${LABEL[kind]} idle: ${join.joined}/${n} joined in ${(join.ms / 1000).toFixed(2)} s (server CPU ${serverCpuSecJoin.toFixed(2)} s, generator CPU ${generatorCpuSecJoin.toFixed(2)} s on ${this.generatorCores} core(s), other ${otherCoresJoin.toFixed(2)} cores; server wrote ${((io1.written - io0.written) / 1e6).toFixed(1)} MB in ${(io1.writes - io0.writes).toLocaleString('en-US')} write() calls), RSS ${(rssBaseKiB / 1024).toFixed(1)} -> ${(rssIdleAtOnceKiB / 1024).toFixed(1)} MiB 2 s after the last join, ${(rssIdleKiB / 1024).toFixed(1)} MiB after ${SETTLE_MS / 1000} s = ${res.rssPerClientKiB.toFixed(2)} KiB/client`,
      );
      return res;
    } finally {
      await this.teardown();
    }
  }

  /**
   * --explain: why a server works harder per delivery under this bench than under another generator. One
   * room of N per server; open-loop steps at the same rate alternate between variants of the load (senders
   * spread over each interval or all on one tick; 64-byte or 40-byte payloads), `repeats` times, so each
   * comparison is made on the same room minutes apart. Prints CPU per delivery and writes per delivery.
   */
  async explain(kind: ServerKind, n: number, repeats: number): Promise<void> {
    const o = this.opts;
    await this.startServer(kind);
    try {
      await sleep(300);
      const join = await this.buildRoom(kind, n, Math.min(o.senders, n), Math.max(60_000, n * 30), 2, true, true);
      log(`${LABEL[kind]} N=${n}: ${join.joined + join.toppedUp}/${n} in the room`);
      const variants = [
        { name: 'spread, 64 B', stagger: true, payloadBytes: PAYLOAD_BYTES },
        { name: 'one tick, 64 B', stagger: false, payloadBytes: PAYLOAD_BYTES },
        { name: 'spread, 40 B', stagger: true, payloadBytes: PAYLOAD_FIELDS_BYTES + 1 },
      ];
      for (let i = 0; i < repeats; i++) {
        for (const v of variants) log(`${LABEL[kind]} N=${n} [${v.name}]: ${fmtStep(await this.step(o.openLoopRate, o.openLoopMs, v))}`);
      }
    } finally {
      await this.teardown();
    }
  }

  /** parley alone under a fixed saturating load, with node --cpu-prof; returns the profile's path. */
  async profile(n: number, rate: number, ms: number): Promise<string> {
    const name = this.opts.profileJoin ? `parley-join-N${n}.cpuprofile` : `parley-N${n}-r${rate}.cpuprofile`;
    fs.mkdirSync(this.opts.outDir, { recursive: true });
    // BENCH_PERF=FILE: perf instead of V8's profiler (native and kernel frames too: SQLite, write(), GC), the
    // server started with --perf-basic-prof so that JavaScript frames have names; `perf report -i FILE`.
    const perfFile = process.env.BENCH_PERF;
    const server = await this.startServer('parley', perfFile ? ['--perf-basic-prof'] : ['--cpu-prof', '--cpu-prof-dir', this.opts.outDir, '--cpu-prof-name', name]);
    try {
      // A join profile connects as the idle step does when --idle-inflight is given (10,000 hellos, a few in
      // flight per worker: target 5), and all at once otherwise (the join storm: target 6).
      const inFlight = this.opts.profileJoin && process.argv.includes('--idle-inflight') ? this.opts.idleInFlight : 0;
      const join = await this.buildRoom('parley', n, Math.min(this.opts.senders, n), Math.max(20_000, n * 20), inFlight);
      log(`profile: ${join.joined}/${n} joined in ${(join.ms / 1000).toFixed(2)} s`);
      if (!this.opts.profileJoin) {
        const perf = perfFile ? spawn('perf', ['record', '-g', '-F', '999', '-o', perfFile, '-p', String(server.pid)], { stdio: 'ignore' }) : null;
        const perfDone = perf ? new Promise((r) => perf.once('exit', r).once('error', (err) => r(log(`profile: perf did not run: ${err.message}`)))) : null;
        if (perf) await sleep(500);
        const s = await this.step(rate, ms);
        if (perf) {
          perf.kill('SIGINT');
          await perfDone;
        }
        log(`profile: ${fmtStep(s)}`);
      }
    } finally {
      await this.teardown(15_000); // the profile is written as the server exits
    }
    return perfFile ?? path.join(this.opts.outDir, name);
  }
}

/** TcpExtListenDrops of the whole machine (/proc/net/netstat): connections the kernel dropped at a full listen queue. */
function listenDrops(): number {
  try {
    const lines = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0]!.split(' ');
    const values = lines[1]!.split(' ');
    return Number(values[names.indexOf('ListenDrops')]);
  } catch {
    return NaN;
  }
}

/**
 * The warm-up's rate per sender: ten times the open loop's, or less so that the room gets at most about
 * 100,000 deliveries a second (below saturation at every N on the bench machine): some thousands of
 * messages at N = 10 and 100, where the cost per message decides; at N = 1,000 the cost per delivery does,
 * and the fan-out to 999 members warms up within the first messages.
 */
export function warmupRate(senders: number, n: number, openLoopRate: number): number {
  return Math.max(openLoopRate, Math.min(10 * openLoopRate, Math.floor(100_000 / (senders * Math.max(1, n - 1)))));
}

function fmtStep(s: StepResult): string {
  return (
    `${s.ratePerSender} msg/s x ${s.senders}: ${Math.round(s.deliveriesPerSec).toLocaleString('en-US')} deliveries/s, ` +
    `lost ${s.lost}, p50 ${s.p50Ms.toFixed(2)} p99 ${s.p99Ms.toFixed(2)} max ${s.maxMs.toFixed(1)} ms, ` +
    `server ${s.serverCpuPerMDeliveries.toFixed(2)} CPU-s/M (${s.serverCores.toFixed(2)} cores, ${Math.round(100 * s.serverSysShare)}% sys, ${s.serverWritesPerDelivery.toFixed(2)} writes/delivery, ${s.generatorSleepsPerDelivery.toFixed(2)} receiver wakeups/delivery), ` +
    `generator ${s.generatorCores.toFixed(2)} cores (${Math.round(100 * s.generatorSysShare)}% sys), other ${s.otherCores.toFixed(2)}; limit: ${s.limit}` +
    (s.verdict === 'ok' ? '' : ` -> ${s.verdict}`)
  );
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const reportFrom = process.argv.includes('--report') ? process.argv[process.argv.indexOf('--report') + 1] : undefined;
  if (reportFrom !== undefined) {
    // Print the table of an earlier run and draw its chart again (next to the JSON), without measuring.
    const results = JSON.parse(fs.readFileSync(reportFrom, 'utf8')) as BenchResults;
    printReport(results, (s) => process.stdout.write(s));
    const base = reportFrom.replace(/\.json$/, '');
    const svg = writeChart(results, base.endsWith('latest') ? base.replace(/latest$/, 'bench.svg') : base.endsWith('latest-quick') ? base.replace(/latest-quick$/, 'bench-quick.svg') : `${base}.svg`);
    process.stdout.write(`\nchart: ${svg}\n`);
    return;
  }
  const startedAt = Date.now();
  raiseFdLimit(65_536, opts.idleClients + 1024);
  const cpus = planCpus(opts.pin);
  const coreCount = os.availableParallelism(); // before pinning narrows it
  if (cpus.generator !== null) pinSelf(cpus.generator);
  const generatorCores = cpus.generator === null ? coreCount : coreCount - 1;

  let ngircd: string | null = null;
  if (opts.servers.includes('ngircd') && !opts.profile) {
    ngircd = findNgircd();
    if (ngircd === null) {
      if (opts.servers.length === 1) throw new Error('ngIRCd is not installed.\n' + NGIRCD_INSTALL_HINT);
      log(NGIRCD_INSTALL_HINT);
    }
  }
  const servers: ServerKind[] = opts.profile ? ['parley'] : opts.servers.filter((k) => k !== 'ngircd' || ngircd !== null);
  const machine = machineInfo(opts, ngircd, cpus, coreCount);
  log(
    `parley bench${opts.quick ? ' (quick)' : ''}: ${[...servers.map((s) => LABEL[s]), ...opts.builds.map((b) => `${b.label} (protocol version ${b.version})`)].join(' vs ')}; ${opts.rounds > 1 ? `${opts.rounds} rounds; ` : ''}${machine.cpus} cores (${machine.cpuModel}); ` +
      (cpus.server === null ? 'unpinned' : `server on CPU ${cpus.server}, generator on CPU ${cpus.generator}`) +
      `; ${opts.workers} generator processes`,
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  fs.chmodSync(dir, 0o777); // ngIRCd drops root to "nobody"
  const parleyMain = snapshotParley(dir);
  const buildRuns: BuildRun[] = opts.builds.map((build) => ({ build, main: snapshotParley(dir, build) }));
  const pool = await Pool.start(opts.workers);
  const bench = new Bench(opts, pool, dir, cpus.server, ngircd, generatorCores, parleyMain);
  const onSignal = (): void => {
    void bench.teardown(500).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    if (opts.explain) {
      for (const kind of servers) await bench.explain(kind, opts.roomSizes[opts.roomSizes.length - 1] ?? 1000, 3);
      return;
    }
    if (opts.joinOnly) {
      for (let r = 0; r < opts.rounds; r++) for (const n of opts.roomSizes) for (const kind of servers) await bench.joinStorm(kind, n);
      return;
    }
    if (opts.profile) {
      const n = opts.roomSizes[opts.roomSizes.length - 1] ?? 1000;
      const file = await bench.profile(n, opts.profileRate, opts.profileMs);
      if (!fs.existsSync(file)) throw new Error(`no profile was written to ${file}`);
      process.stdout.write(process.env.BENCH_PERF ? `${file}\n` : `${file}\n${formatProfile(summarizeProfile(file, 30))}\n`);
      return;
    }
    const rooms: RoomResult[] = [];
    const memory: MemoryResult[] = [];
    // The older builds (A/B mode) run right after this one, so that each is measured in the same minutes.
    const entries: { kind: ServerKind; build?: BuildRun }[] = servers.flatMap((kind) => [{ kind }, ...(kind === 'parley' ? buildRuns.map((build) => ({ kind, build })) : [])]);
    // Alternate which server goes first, so neither always runs on a warmer (or more tired) machine.
    for (let round = 0; round < opts.rounds; round++) {
      for (const [sizeIndex, n] of (opts.idleOnly ? [] : opts.roomSizes).entries()) {
        const order = turnOrder(entries, round, sizeIndex);
        if (opts.rounds > 1) log(`round ${round + 1} of ${opts.rounds}, N=${n}`);
        for (const e of order) rooms.push(await bench.room(e.kind, n, e.build));
      }
    }
    // The floor's memory per idle client is bench/floor.ts's (npm run bench:floor), not measured here.
    const idle = servers.filter((k) => k !== 'floor');
    const memOrder = opts.roomSizes.length % 2 === 0 ? idle : [...idle].reverse();
    for (const kind of opts.openOnly || buildRuns.length > 0 ? [] : memOrder) memory.push(await bench.memory(kind, opts.idleClients));

    let client: ClientResult | null = null;
    if (opts.client) {
      // The parley client in a 100x30 tmux pane fed 1,000 messages a second for 10 s by a parley-server:
      // the client on the server's core (idle by now), its server and senders on the generator's.
      const file = path.join(dir, 'client.json');
      const argv = [process.execPath, path.join(here, 'client.js'), '--json', file, ...(cpus.server === null ? [] : ['--client-cpu', cpus.server])];
      try {
        const [cmd, ...args] = argv;
        execFileSync(cmd!, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
        client = JSON.parse(fs.readFileSync(file, 'utf8')) as ClientResult;
        log(`client (its own process, tmux 100x30): ${client.messages} messages in ${client.seconds} s, CPU ${(100 * client.cpuShare).toFixed(1)}% of a core, RSS ${client.rssMiB.toFixed(1)} MiB with ${client.scrollback} lines of scrollback`);
      } catch (err) {
        log(`client bench failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const cluster = opts.cluster ? clusterStep(dir, opts.quick) : null;
    const results: BenchResults = {
      machine,
      quick: opts.quick,
      servers,
      ...(opts.builds.length > 0 && { builds: opts.builds.map((b) => ({ label: b.label, protocolVersion: b.version })), rounds: opts.rounds }),
      config: {
        roomSizes: opts.roomSizes,
        idleClients: opts.idleClients,
        senders: opts.senders,
        openLoopRate: opts.openLoopRate,
        payloadBytes: opts.payloadBytes,
        openLoopMs: opts.openLoopMs,
        warmupMs: opts.warmupMs,
        stepMs: opts.stepMs,
        p99LimitMs: opts.p99LimitMs,
        floodLimits:
          'lifted on both: parley runs --no-rate-limit; ngIRCd has MaxPenaltyTime = 0 and the senders are IRC operators with user mode +F',
      },
      rooms,
      memory,
      client,
      // Target 8 comes from `npm run bench:tls` (its own ~3 minutes would push this run past 10): its latest
      // result, dated, if there is one.
      tls: latestTls(opts.outDir),
      cluster,
      durationSec: (Date.now() - startedAt) / 1000,
      notes: [
        'Deliveries are counted at the receivers: N-1 per message on both servers (parley echoes to the sender; the echo is not counted).',
        'Latency is receive time minus send time on the shared monotonic clock, stamped by the generator.',
        `CPU from /proc/PID/stat (utime+stime) of the server process; generator CPU is all ${opts.workers} worker processes plus the orchestrator.`,
      ],
    };
    fs.mkdirSync(opts.outDir, { recursive: true });
    const stamp = machine.date.replace(/[:.]/g, '-').slice(0, 19);
    const json = JSON.stringify(results, null, 2) + '\n';
    fs.writeFileSync(path.join(opts.outDir, `bench-${stamp}${opts.quick ? '-quick' : ''}.json`), json);
    fs.writeFileSync(path.join(opts.outDir, opts.quick ? 'latest-quick.json' : 'latest.json'), json);
    const svg = writeChart(results, path.join(opts.outDir, opts.quick ? 'bench-quick.svg' : 'bench.svg'));
    printReport(results, (s) => process.stdout.write(s));
    process.stdout.write(`\nJSON: ${path.join(opts.outDir, opts.quick ? 'latest-quick.json' : 'latest.json')}\nchart: ${svg}\n`);
  } finally {
    await bench.teardown(1000).catch(() => undefined);
    await pool.stop();
    // BENCH_KEEP=1 keeps the servers' configs, logs and output for a look afterwards.
    if (process.env.BENCH_KEEP === '1') log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

/** bench/results/tls-latest.json (written by `npm run bench:tls`), or null. */
function latestTls(dir: string): TlsResults | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'tls-latest.json'), 'utf8')) as TlsResults;
  } catch {
    return null;
  }
}
