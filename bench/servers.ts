// Starting and stopping the servers under test (parley, ngIRCd and the node floor), and reading their CPU time and memory from /proc.
// Each server runs in the foreground as a child of the orchestrator, pinned to its own core when the
// machine has more than one, with its output going to a file in the run's temporary directory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPER_NAME, OPER_PASSWORD } from './protocols.js';

/** 'floor': the bare Node.js relay of bench/relay.ts (Node's own floor on parley's wire). */
export type ServerKind = 'parley' | 'ngircd' | 'floor';

export const LABEL: Record<ServerKind, string> = { parley: 'parley', ngircd: 'ngIRCd', floor: 'node floor' };

export interface RunningServer {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** User + system CPU seconds the server process has used so far (all its threads; to the nanosecond where the kernel says). */
  cpuSec(): number;
  /** The system (kernel) part of cpuSec. */
  sysSec(): number;
  /** Read and write system calls so far, and bytes written (/proc/PID/io: syscr, syscw, wchar). */
  syscalls(): { reads: number; writes: number; written: number };
  /** Resident set size now, KiB. */
  rssKiB(): number;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Directory for the config and the server's output. */
  dir: string;
  /** Cores to pin the server to (taskset -c list), or null for no pinning. */
  cpus: string | null;
  /** Extra arguments for node before the script (e.g. --cpu-prof). parley only. */
  nodeArgs?: string[];
  /** parley-server's entry point (a snapshot of dist/, see snapshotParley). */
  parleyMain?: string;
}

const HOST = '127.0.0.1';
const here = path.dirname(fileURLToPath(import.meta.url));
/** bench/dist/servers.js -> the repository root. */
export const REPO_ROOT = path.resolve(here, '..', '..');
export const PARLEY_MAIN = path.join(REPO_ROOT, 'dist', 'server', 'main.js');

let clockTicks = 0;
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process, seconds (fields 14 and 15 of /proc/PID/stat). */
export function procCpuSec(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds of a process to the nanosecond: the time on CPU of each of its threads (first field of
 * /proc/PID/task/TID/schedstat), summed. /proc/PID/stat counts in clock ticks (10 ms): a server using 0.01
 * of a core for 6 s is 6 ticks, so one tick more or less moved a ratio by 15%. Falls back to procCpuSec
 * where the kernel has no schedstat.
 */
export function procCpuSecPrecise(pid: number): number {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read: its time is lost either way
      }
    }
    return Number.isFinite(ns) && ns > 0 ? ns / 1e9 : procCpuSec(pid);
  } catch {
    return procCpuSec(pid);
  }
}

/** System (kernel) CPU seconds of a process (field 15 of /proc/PID/stat). */
export function procSysSec(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/**
 * Read and write system calls of a process so far (/proc/PID/io). Writes per delivery is the batching a
 * server achieves: one write() per recipient per message is the worst case, and most of a server's cost
 * per delivery is its writes (the kernel's loopback TCP path runs inside them).
 */
export function procSyscalls(pid: number): { reads: number; writes: number; written: number } {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? NaN);
    return { reads: field('syscr'), writes: field('syscw'), written: field('wchar') };
  } catch {
    return { reads: NaN, writes: NaN, written: NaN };
  }
}

/** CPU seconds the whole machine has been busy (all cores; user, system, irq, softirq, steal). */
export function machineBusySec(): number {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

export function procRssKiB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitListening(child: ChildProcess, port: number, what: string, outFile: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  let tail = '';
  try {
    tail = fs.readFileSync(outFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    // no output at all
  }
  throw new Error(`${what} did not start listening on ${HOST}:${port} within 10 s. Its output:\n${tail}`);
}

function launch(kind: ServerKind, argv: string[], port: number, opts: StartOptions): Promise<RunningServer> {
  const outFile = path.join(opts.dir, `${kind}-${port}.out`);
  const out = fs.openSync(outFile, 'a');
  const [cmd, ...args] = opts.cpus === null ? argv : ['taskset', '-c', opts.cpus, ...argv];
  // taskset execs the server, so the child's pid is the server's own.
  const child = spawn(cmd!, args, { stdio: ['ignore', out, out], cwd: opts.dir });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: RunningServer = {
    kind,
    pid: child.pid ?? -1,
    host: HOST,
    port,
    cpuSec: () => procCpuSecPrecise(child.pid ?? -1),
    sysSec: () => procSysSec(child.pid ?? -1),
    syscalls: () => procSyscalls(child.pid ?? -1),
    rssKiB: () => procRssKiB(child.pid ?? -1),
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(graceMs = 3000) {
      if (!server.alive()) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    },
  };
  return waitListening(child, port, kind, outFile).then(() => server);
}

/**
 * Another build of parley-server measured beside the repository's in the same run (`--parley-build DIR`):
 * a directory holding a built checkout of an older commit (package.json, node_modules, dist/). `label` is
 * the directory's name (name it after the commit); `version` is the protocol version the build speaks
 * (PROTOCOL_VERSION in its dist/wire/limits.js), so the load clients greet it in a version it knows.
 */
export interface ParleyBuild {
  label: string;
  root: string;
  version: number;
}

/** The build in `dir`, checked; throws with what to do when it is not a built parley checkout. */
export function parleyBuild(dir: string): ParleyBuild {
  const root = path.resolve(dir);
  for (const f of ['dist/server/main.js', 'dist/wire/limits.js', 'package.json', 'node_modules']) {
    if (!fs.existsSync(path.join(root, f))) throw new Error(`--parley-build ${dir}: ${f} is missing (a built checkout: git archive COMMIT | tar -x, node_modules, npx tsc -p tsconfig.json)`);
  }
  const m = /PROTOCOL_VERSION = (\d+)/.exec(fs.readFileSync(path.join(root, 'dist/wire/limits.js'), 'utf8'));
  if (!m) throw new Error(`--parley-build ${dir}: no PROTOCOL_VERSION in dist/wire/limits.js`);
  return { label: `parley@${path.basename(root)}`, root, version: Number(m[1]) };
}

/**
 * Copy a built server (dist/) into `dir` and return its entry point, so that every parley server of the
 * run is the same build even if dist/ is rebuilt while the bench runs. package.json comes along (it makes
 * the .js files ES modules) and node_modules is linked, so the copy resolves its dependencies as dist/ does.
 * Without `build`, the repository's dist/ (or BENCH_PARLEY_DIST=DIR, a variant being tried).
 */
export function snapshotParley(dir: string, build?: ParleyBuild): string {
  const from = build?.root ?? REPO_ROOT;
  const dist = build ? path.join(build.root, 'dist') : path.resolve(process.env.BENCH_PARLEY_DIST ?? path.join(REPO_ROOT, 'dist'));
  if (!fs.existsSync(path.join(dist, 'server', 'main.js'))) throw new Error(`${dist}/server/main.js is missing: run "npm run build" first`);
  const root = path.join(dir, build ? build.label.replace(/[^\w.@-]/g, '_') : 'parley');
  fs.mkdirSync(root, { recursive: true });
  fs.cpSync(dist, path.join(root, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(from, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(from, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return path.join(root, 'dist', 'server', 'main.js');
}

export async function startParley(opts: StartOptions): Promise<RunningServer> {
  const main = opts.parleyMain ?? PARLEY_MAIN;
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  const port = await freePort();
  const argv = [
    process.execPath,
    ...(opts.nodeArgs ?? []),
    main,
    String(port),
    '--host',
    HOST,
    '--log',
    path.join(opts.dir, `parley-${port}.log`),
    '--db',
    path.join(opts.dir, `parley-${port}.db`),
    '--no-rate-limit',
    '--max-per-ip',
    '0',
  ];
  return launch('parley', argv, port, opts);
}

/** The node floor (bench/relay.ts), pinned as the other servers are. */
export async function startFloor(opts: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  return launch('floor', [process.execPath, path.join(here, 'relay.js'), String(port), HOST], port, opts);
}

/** Where ngircd is, or null. Debian puts it in /usr/sbin, which may not be on a user's PATH. */
export function findNgircd(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (dir === '') continue;
    const p = path.join(dir, 'ngircd');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export function ngircdVersion(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

export const NGIRCD_INSTALL_HINT = `ngIRCd is not installed, so only parley is benchmarked. To compare against it (Debian/Ubuntu):
  printf '#!/bin/sh\\nexit 101\\n' | sudo tee /usr/sbin/policy-rc.d && sudo chmod +x /usr/sbin/policy-rc.d
  sudo apt-get install -y ngircd      # policy-rc.d keeps the package from starting a system-wide service
then run "npm run bench" again. The bench starts its own ngIRCd in the foreground on 127.0.0.1.`;

/**
 * ngIRCd's config for the run: loopback only; no DNS, ident or PAM; no per-IP or connection caps; no
 * flood penalties (MaxPenaltyTime = 0, and the senders also become operators with user mode +F, which
 * lifts the per-loop command cap and the bytes-per-second throttle, as parley runs --no-rate-limit).
 */
export function ngircdConfig(port: number, dir: string, tls?: NgircdTls): string {
  // [SSL] is there when ngIRCd was built with TLS (Debian's: GnuTLS, "+SSL" in --version): another port.
  const ssl = tls ? `[SSL]\n\tCertFile = ${tls.cert}\n\tKeyFile = ${tls.key}\n\tPorts = ${tls.port}\n` : '';
  return `${ssl}[Global]
	Name = bench.parley.test
	Info = parley benchmark
	AdminInfo1 = parley benchmark
	AdminInfo2 = loopback only
	AdminEMail = bench@localhost
	Listen = ${HOST}
	Ports = ${port}
	MotdPhrase = parley benchmark
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 31
	MaxListSize = 100000
	MaxPenaltyTime = 0
	PingTimeout = 120
	PongTimeout = 60
[Options]
	DNS = no
	Ident = no
	PAM = no
	SyslogFacility = local7
	OperCanUseMode = yes
	IncludeDir = ${path.join(dir, 'conf.d')}
[Operator]
	Name = ${OPER_NAME}
	Password = ${OPER_PASSWORD}
`;
}

/** ngIRCd's TLS listener: the certificate and key files (PEM) and the port. */
export interface NgircdTls {
  cert: string;
  key: string;
  port: number;
}

export async function startNgircd(bin: string, opts: StartOptions, tls?: Omit<NgircdTls, 'port'>): Promise<RunningServer & { tlsPort?: number }> {
  const port = await freePort();
  const tlsPort = tls ? await freePort() : undefined;
  // A directory of its own: ngIRCd reads every *.conf in IncludeDir, which must not be the other runs' configs.
  const dir = path.join(opts.dir, `ngircd-${port}`);
  fs.mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
  const conf = path.join(dir, 'ngircd.conf');
  fs.writeFileSync(conf, ngircdConfig(port, dir, tls && { ...tls, port: tlsPort! }));
  const server = await launch('ngircd', [bin, '-n', '-f', conf], port, opts);
  return tlsPort === undefined ? server : Object.assign(server, { tlsPort });
}

/**
 * The order the servers take at room size index `sizeIndex` of round `round`: as given, or reversed, by
 * (round + sizeIndex) % 2, so that at every room size the order alternates from one round to the next (one
 * counter across rounds and sizes kept a size's order fixed when the number of sizes was even).
 */
export function turnOrder<T>(entries: readonly T[], round: number, sizeIndex: number): T[] {
  return (round + sizeIndex) % 2 === 0 ? [...entries] : [...entries].reverse();
}
