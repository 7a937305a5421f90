// npm run bench:cluster: the cost of the Redis bus. One room (not the default one: a room created on one
// node and joined on the others, whose state is shared through Redis), the same total clients, on 1, 2
// and 3 parley-server nodes sharing one redis-server (1 node also runs with --redis: the bus is what is
// measured). Senders spread over the nodes send at a fixed rate; every client receives every message.
//
//   node bench/dist/cluster.js [--clients 60] [--senders 6] [--rate 20] [--seconds 8] [--nodes 1,2,3] [--room '#bench'] [--json FILE]
//
// Its rows (a ClusterResult) go to --json FILE, by default bench/results/cluster-DATE.json; `npm run
// bench:summary` reads such files. `npm run bench` runs it as its cluster step (when redis-server is
// installed) and keeps the rows in the run's own JSON.
//
// Reports deliveries/s (messages received by clients), CPU per delivery (user+system of the parley nodes
// and of redis-server, over the measured window) and the p50/p99 latency from send to receipt. Then the
// cluster's snapshot (bench/snapshot.ts): its size and the time Store.dumpShared holds a node's event loop,
// at the step's own state (the replica loaded from Redis as a node loads it, while the clients of the last
// row are still in the room) and at a large state (--snapshot-accounts, --snapshot-rooms: 10,000 each). The load
// generator runs in this process: on a small machine it competes with the servers for the CPU, which the
// report states with the load average.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, PARLEY_MAIN, procCpuSec, REPO_ROOT } from './servers.js';
import type { ClusterResult, ClusterRow } from './results.js';
import { fillShared, measureDump, snapshotLines, type SharedTables, type SnapshotFigures } from './snapshot.js';
import { Histogram, summarize } from './stats.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const CLIENTS = Number(option('clients', '60'));
const SENDERS = Number(option('senders', '6'));
const RATE = Number(option('rate', '20'));
const SECONDS = Number(option('seconds', '8'));
const NODES = option('nodes', '1,2,3').split(',').map(Number);
const ROOM = option('room', '#bench');
const SNAPSHOT_ACCOUNTS = Number(option('snapshot-accounts', '10000'));
const SNAPSHOT_ROOMS = Number(option('snapshot-rooms', '10000'));

/** The built server's replica store and its cluster accounts (what a node and `parley-server user --redis` load). */
const dist = (file: string) => pathToFileURL(path.join(REPO_ROOT, 'dist', 'server', 'cluster', file)).href;
const { ReplicaStore } = (await import(dist('replica.js'))) as { ReplicaStore: new () => SharedTables & { dumpShared(): string; close(): void } };
const { openClusterAccounts } = (await import(dist('offline.js'))) as {
  openClusterAccounts(url: string): Promise<{ store: { dumpShared(): string }; close(): Promise<void> }>;
};

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.split('\n').find((l) => pattern.test(l));
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', () => reject(new Error(`${what} exited:\n${out}`)));
  });
}

interface Client {
  socket: net.Socket;
  received: number;
}

function connect(port: number, name: string, onMessage: (text: string) => void): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const c: Client = { socket, received: 0 };
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write(JSON.stringify({ type: 'hello', name, version: 2 }) + '\n' + JSON.stringify({ type: 'join', room: ROOM }) + '\n'));
    socket.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // In the room once its snapshot came (the room is created by the first client, joined by the rest).
        if (line.includes('"type":"room"') && line.includes(JSON.stringify(ROOM))) resolve(c);
        else if (line.includes('"type":"error"')) reject(new Error(`${name}: ${line}`));
        else if (line.includes('"type":"message"')) {
          const m = JSON.parse(line) as { text: string; ref?: string; room?: string };
          if (m.ref !== undefined || m.room !== ROOM) continue; // our own echo, or another room
          c.received++;
          onMessage(m.text);
        }
      }
    });
  });
}

/** The snapshot of the cluster's state now: a replica loaded from Redis as a node loads it at start. */
async function stepSnapshot(redisUrl: string): Promise<SnapshotFigures> {
  const cluster = await openClusterAccounts(redisUrl);
  try {
    return measureDump(`the step's state (${CLIENTS} clients in ${ROOM})`, cluster.store);
  } finally {
    await cluster.close();
  }
}

/** The snapshot of a large cluster: SNAPSHOT_ACCOUNTS accounts with a session each, SNAPSHOT_ROOMS rooms. */
function largeSnapshot(): SnapshotFigures {
  const store = new ReplicaStore();
  try {
    fillShared(store, SNAPSHOT_ACCOUNTS, SNAPSHOT_ROOMS);
    return measureDump(`${SNAPSHOT_ACCOUNTS.toLocaleString('en-US')} accounts (a session each) and ${SNAPSHOT_ROOMS.toLocaleString('en-US')} rooms (an operator and a member each)`, store);
  } finally {
    store.close();
  }
}

async function runOnce(nodes: number, redisUrl: string, dir: string, redisPid: number, snapshots?: SnapshotFigures[]): Promise<ClusterRow> {
  const servers: { child: ChildProcess; port: number }[] = [];
  for (let i = 0; i < nodes; i++) {
    const port = await freePort();
    const child = spawn(process.execPath, [PARLEY_MAIN, String(port), '--log', path.join(dir, `n${nodes}-${i}.log`), '--no-rate-limit', '--max-per-ip', '0', '--redis', redisUrl, '--history', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitFor(child, /^parley-server listening/, `node ${i}`);
    servers.push({ child, port });
  }
  const hist = new Histogram();
  const record = (text: string): void => {
    const sent = Number(text.split(' ')[1]);
    hist.record(Math.max(1, nowUs() - sent));
  };
  const clients: Client[] = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await connect(servers[i % nodes]!.port, `c${nodes}n${i}`, record));
  await new Promise((r) => setTimeout(r, 1000)); // joins settle
  for (const c of clients) c.received = 0;
  const cpu0 = servers.reduce((s, n) => s + procCpuSec(n.child.pid!), 0) + procCpuSec(redisPid);
  const t0 = nowUs();
  let sent = 0;
  const senders = clients.slice(0, SENDERS);
  const timer = setInterval(() => {
    for (const s of senders) s.socket.write(JSON.stringify({ type: 'say', room: ROOM, text: `b ${nowUs()}`, ref: String(sent++) }) + '\n');
  }, 1000 / RATE);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 1000)); // the last ones arrive
  const elapsed = (nowUs() - t0) / 1e6;
  const cpu = servers.reduce((s, n) => s + procCpuSec(n.child.pid!), 0) + procCpuSec(redisPid) - cpu0;
  const deliveries = clients.reduce((s, c) => s + c.received, 0);
  // After the measured window, while the clients are still in the room.
  if (snapshots) snapshots.push(await stepSnapshot(redisUrl));
  for (const c of clients) c.socket.destroy();
  for (const n of servers) n.child.kill('SIGTERM');
  await Promise.all(servers.map((n) => new Promise((r) => n.child.once('exit', r))));
  const lat = summarize(hist);
  return {
    nodes,
    deliveries,
    perSecond: deliveries / elapsed,
    cpuUsPerDelivery: (cpu * 1e6) / Math.max(1, deliveries),
    p50: lat.p50Ms,
    p99: lat.p99Ms,
    expected: sent * (CLIENTS - 1),
  };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-cluster-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitFor(redis, /Ready to accept connections/, 'redis-server');
  const rows: ClusterRow[] = [];
  const snapshots: SnapshotFigures[] = [];
  try {
    for (const n of NODES) {
      process.stderr.write(`${n} node(s), ${CLIENTS} clients, ${SENDERS} senders x ${RATE} msg/s for ${SECONDS} s...\n`);
      rows.push(await runOnce(n, `redis://127.0.0.1:${port}/0`, dir, redis.pid!, n === NODES[NODES.length - 1] ? snapshots : undefined));
    }
  } finally {
    redis.kill('SIGTERM');
  }
  snapshots.push(largeSnapshot());
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const json = option('json', path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results', `cluster-${stamp}.json`));
  const result: ClusterResult = { clients: CLIENTS, senders: SENDERS, ratePerSender: RATE, seconds: SECONDS, loadAverage: os.loadavg(), rows, snapshots };
  fs.mkdirSync(path.dirname(json), { recursive: true });
  fs.writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  process.stdout.write(`\ncluster bench: ${CLIENTS} clients in ${ROOM}, ${SENDERS} senders x ${RATE} msg/s, ${SECONDS} s; ${os.cpus().length} CPUs, load average ${load}\n\n`);
  process.stdout.write('| nodes | deliveries/s | delivered/expected | CPU per delivery (parley + redis) | p50 | p99 |\n|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.nodes} | ${Math.round(r.perSecond)} | ${r.deliveries}/${r.expected} | ${r.cpuUsPerDelivery.toFixed(1)} µs | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |\n`);
  }
  process.stdout.write('\n' + snapshotLines(snapshots).join('\n') + '\n');
  process.stdout.write(`\nJSON (for npm run bench:summary): ${json}\n`);
}

await main();
