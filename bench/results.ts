// The shape of one run's results (also the JSON written to bench/results/).
import type { ServerKind } from './servers.js';
import type { SnapshotFigures } from './snapshot.js';

export interface StepResult {
  /** Offered rate per sender, messages per second. */
  ratePerSender: number;
  senders: number;
  /** Clients in the room when the step started. */
  n: number;
  durationMs: number;
  sent: number;
  /** Messages the senders were due to send; fewer were sent when the generator fell behind. */
  target: number;
  /** Worst lateness of a send against its schedule. */
  senderLagMs: number;
  expected: number;
  received: number;
  lost: number;
  /** Clients dropped (by the server, or by the network) during the step. */
  dead: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU seconds during the step (from /proc/PID/stat). */
  serverCpuSec: number;
  serverCpuPerMDeliveries: number;
  /** Share of the server's CPU spent in the kernel (its writes carry the loopback TCP path). */
  serverSysShare: number;
  /** Server write() system calls per delivery (1.0: one write per recipient per message, no batching). */
  serverWritesPerDelivery: number;
  /** Server read() system calls per message sent. */
  serverReadsPerMessage: number;
  /**
   * Bytes written by the server per delivery: sockets + log + database (/proc/PID/io wchar counts every
   * write() of the process: the frames, echo included, and the event log and SQLite history/WAL; not wire
   * bytes alone). Absent in older runs; the name is kept so that older result files still read.
   */
  serverBytesPerDelivery?: number;
  /**
   * Times the generator's processes went to sleep, per delivery. On loopback every wakeup of a sleeping
   * receiver is work done inside the server's write() (and an interrupt to the other core): a cost of the
   * bench, not of serving clients across a network.
   */
  generatorSleepsPerDelivery: number;
  /** Server CPU seconds / busy seconds: 1.0 is one core flat out. */
  serverCores: number;
  /** CPU of every generator process (orchestrator and workers) over the same window. */
  generatorCpuSec: number;
  generatorCores: number;
  /** Share of the generator's CPU spent in the kernel (loopback TCP). */
  generatorSysShare: number;
  /** Busiest single generator process. */
  generatorMaxProcessCores: number;
  /**
   * CPU the rest of the machine used meanwhile (all cores busy, less server and generator): other
   * people's work on a shared machine, and kernel time not charged to either. High means noisy.
   */
  otherCores: number;
  serverRssKiB: number;
  verdict: 'ok' | 'p99' | 'loss' | 'generator';
  /**
   * Which side was the limit during this step: 'server' (it used ≥ 0.85 of its core), 'generator' (its
   * core was ≥ 0.85 busy, or a worker process was, or the senders fell behind their schedule), 'both', or
   * 'neither'. A step the generator limited does not count toward a target.
   */
  limit: 'server' | 'generator' | 'both' | 'neither';
}

export interface JoinResult {
  n: number;
  joined: number;
  failed: number;
  /** From the first connect() to the last client in the room. */
  ms: number;
  errors: string[];
  /** Clients that failed in the storm and joined on a second, gentler try (rooms only). */
  toppedUp: number;
  /**
   * ms from the start: when the first, the median and the last TCP connection was up, and when the first
   * and the median client was in the room (is the connection rate, or the server's work, the limit?).
   */
  connectedMs?: [number, number, number];
  inRoomMs?: [number, number];
}

export interface RoomResult {
  server: ServerKind;
  /** The older parley build this row measured (A/B mode, --parley-build; its label); absent: this build. */
  build?: string;
  /** The machine's load average (1, 5, 15 min) when the room's steps ended (absent in older runs). */
  loadAverage?: number[];
  n: number;
  join: JoinResult;
  rssBaseKiB: number;
  rssJoinedKiB: number;
  rssPerClientKiB: number;
  /**
   * RSS after the room's measured steps (everyone joined and talked), and per client over the base: in the
   * room target 4 reads (memoryRoomSize), once the server has been quiet for SETTLE_MS (bench/README.md,
   * "Target 4"); in the others right after the last step.
   */
  rssTalkedKiB: number;
  rssPerClientTalkedKiB: number;
  /** RSS right after the last step, before the quiet wait (absent in results from before session 7). */
  rssTalkedAtOnceKiB?: number;
  /**
   * The open loop on the fresh server, before the warm-up: the first few hundred messages a server
   * handles. Reported, not judged: parley's JavaScript is still being compiled then (see bench/README.md).
   */
  openLoopCold?: StepResult | null;
  /** The unmeasured warm-up between the cold and the counted open loop (its figures, for the record). */
  warmup?: StepResult | null;
  /** The open loop after the warm-up: the figure the targets judge. */
  openLoop: StepResult | null;
  sweep: StepResult[];
  /** The passing sweep step with the most deliveries per second. */
  saturation: StepResult | null;
  /** Why the sweep stopped. */
  sweepStop: string;
  /** Which side ran out at the failing step, judged by CPU use (≥ 0.85 of a core; 'both' when both did). */
  limitedBy: 'server' | 'generator' | 'both' | 'neither' | 'unknown';
}

export interface MemoryResult {
  server: ServerKind;
  join: JoinResult;
  rssBaseKiB: number;
  /** RSS once the idle server has been quiet for SETTLE_MS after the last client joined. */
  rssIdleKiB: number;
  rssPerClientKiB: number;
  /** RSS 2 s after the last client joined, as read before session 7 (absent in older results). */
  rssIdleAtOnceKiB?: number;
  serverCpuSecJoin: number;
  /**
   * The generator's CPU seconds (all worker processes) and the rest of the machine's, in cores, while the
   * clients connected: beside serverCpuSecJoin and the join's wall time they say who was the limit of
   * target 5 (absent in results from before 2026-11-30).
   */
  generatorCpuSecJoin?: number;
  otherCoresJoin?: number;
  /** Bytes the server wrote and its write() calls while the clients connected (/proc/PID/io wchar, syscw). */
  bytesWrittenJoin?: number;
  writesJoin?: number;
}

/** The full-screen client under incoming load (bench/client.ts: the parley process in a tmux pane, run at the end of the bench). */
export interface ClientResult {
  /** What was measured (the client process on a terminal; older files: the headless renderer in-process). */
  measured?: string;
  rate: number;
  seconds: number;
  messages: number;
  /** Messages the server relayed (its log), and whether the last one sent reached the client's screen. */
  relayed?: number;
  lastShown?: boolean;
  /** CPU of the client process while fed, in cores. */
  cpuShare: number;
  /** Older files (the headless renderer) only. */
  framesPerSec?: number;
  firstFrameMs: number;
  /** RSS before the first message, MiB. */
  rssBeforeMiB?: number;
  /** RSS at the end of the feed (the scrollback full), MiB. */
  rssMiB: number;
  rssPeakMiB?: number;
  /** Older files (the headless renderer) only. */
  heapMiB?: number;
  /** Bytes the client wrote while fed (frames to the terminal, its chat log), MiB. */
  writtenMiB?: number;
  scrollback: number;
  loadAverage?: number[];
}

/** What a fixed-rate room bench measured (bench/cluster.ts, bench/gateway.ts). */
export interface DeliveryFigures {
  /** Messages received by clients over the window (not the senders' echoes). */
  deliveries: number;
  expected: number;
  perSecond: number;
  /** User+system CPU of every parley node and of redis-server, per delivery, µs. */
  cpuUsPerDelivery: number;
  p50: number;
  p99: number;
}

/** One row of the cluster step (bench/cluster.ts): the room on `nodes` parley-server processes. */
export interface ClusterRow extends DeliveryFigures {
  nodes: number;
}

/** The cluster step: one room, the same clients and senders, on 1, 2 and 3 nodes sharing one redis-server. */
export interface ClusterResult {
  clients: number;
  senders: number;
  ratePerSender: number;
  seconds: number;
  /** The 1-, 5- and 15-minute load averages when the step ended (the generator shares the machine). */
  loadAverage: number[];
  rows: ClusterRow[];
  /** The cluster's snapshot at the step's state and at a large one (bench/snapshot.ts); absent in files before it. */
  snapshots?: SnapshotFigures[];
}

export interface Machine {
  date: string;
  /** The build measured (bench/build.ts buildOf); absent in files before it was recorded. */
  build?: string;
  host: string;
  cpuModel: string;
  cpus: number;
  memGiB: number;
  kernel: string;
  node: string;
  ngircd: string | null;
  serverCpus: string | null;
  generatorCpus: string | null;
  workers: number;
}

export interface BenchResults {
  machine: Machine;
  quick: boolean;
  servers: ServerKind[];
  /** Older parley builds measured beside this one (A/B mode), with the protocol version they were greeted in. */
  builds?: { label: string; protocolVersion: number }[];
  /** Rounds of the rooms (each a row per server and build in `rooms`); absent: one. */
  rounds?: number;
  config: {
    roomSizes: number[];
    idleClients: number;
    senders: number;
    openLoopRate: number;
    payloadBytes: number;
    openLoopMs: number;
    /** Length of the warm-up before the counted open loop (0: none; older runs have none). */
    warmupMs?: number;
    stepMs: number;
    p99LimitMs: number;
    floodLimits: string;
  };
  rooms: RoomResult[];
  memory: MemoryResult[];
  client?: ClientResult | null;
  /** The latest `npm run bench:tls` (bench/results/tls-latest.json) when there was one: target 8. */
  tls?: TlsResults | null;
  /** The cluster step (absent in runs made before it, null when it did not run: no redis-server, or --no-cluster). */
  cluster?: ClusterResult | null;
  /** Wall-clock seconds the whole run took. */
  durationSec?: number;
  notes: string[];
}

/** One server over one transport in `npm run bench:tls` (bench/tls.ts), on a fresh server. */
export interface TlsRun {
  server: ServerKind;
  transport: 'plain' | 'tls';
  idle: { clients: number; connectMs: number; rssBeforeKiB: number; rssAfterKiB: number; rssPerClientKiB: number };
  /** TLS only: server CPU per full handshake and per resumed one (session ticket), and how many resumed. */
  handshakes: { count: number; fullCpuUs: number; resumedCpuUs: number; resumed: number } | null;
  room: {
    n: number;
    senders: number;
    ratePerSender: number;
    seconds: number;
    expected: number;
    received: number;
    lost: number;
    /** Clients that lost their connection during the step. */
    dead: number;
    serverCpuSec: number;
    serverCpuPerMDeliveries: number;
    p50Ms: number;
    p99Ms: number;
    /** The generator (one process) in cores: at 0.85 or more it may have been the limit. */
    generatorCores: number;
    senderLagMs: number;
  };
}

/** bench/results/tls-*.json. */
export interface TlsResults {
  date: string;
  /** The build measured (bench/build.ts buildOf); absent in files before it was recorded. */
  build?: string;
  machine: { cores: number; model: string; node: string; loadAverage: number[]; ngircd: string | null };
  options: { idle: number; handshakes: number; n: number; senders: number; rate: number; seconds: number; only?: string | undefined };
  tookSec: number;
  runs: TlsRun[];
}

/** One case of `npm run bench:floor` (bench/floor.ts): K idle clients on a fresh server. */
export interface FloorRow {
  /** 'net' and 'tls': the bare Node.js servers; 'parley', 'parley-tls': the built server. */
  name: string;
  transport: 'plain' | 'tls';
  /** The bare servers' welcome size in bytes (null for parley). */
  welcomeBytes: number | null;
  clients: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** (RSS after − RSS before) / clients. */
  perClientKiB: number;
  connectSec: number;
}

/** bench/results/floor-*.json. */
export interface FloorResults {
  date: string;
  machine: { cores: number; model: string; node: string; loadAverage: number[] };
  rows: FloorRow[];
}
