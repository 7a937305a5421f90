// npm run bench:tls — issue 15, target 8: what TLS costs, beside plaintext, for parley and for ngIRCd
// (Debian's ngIRCd is built with GnuTLS: "+SSL" in `ngircd --version`; it gets the same kind of key, an
// ECDSA P-256 self-signed certificate made by parley's own code). Per server and transport, on a fresh
// server each time:
//   1. idle: K clients connect and stay (parley: hello, which enters the room; IRC: NICK/USER only, as in
//      the main bench's idle step); RSS per client = (RSS after - RSS before) / K.
//   2. handshakes (TLS only): H connections one after another with a full handshake, then H resuming the
//      session the previous one got (TLS 1.3 session tickets); server CPU per handshake and how many resumed.
//   3. room: N clients in one room, S senders at R msg/s each for T s, open loop; server CPU-s per million
//      deliveries, deliveries lost, latency p50/p99.
// The generator is this one process (it prints its own CPU share: a step where it was ≥ 0.85 of a core does
// not count). The server is pinned to the last core when there are two or more. Results go to
// bench/results/tls-latest.json (and tls-DATE.json), which `npm run bench`'s targets table reads for target 8.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { buildOf } from './build.js';
import { adapter, makePayload, MARKER, nowUs, payloadSender, payloadTime, PAYLOAD_FIELDS_BYTES, type ProtocolAdapter } from './protocols.js';
import { findNgircd, ngircdVersion, REPO_ROOT, startNgircd, startParley, type RunningServer, type ServerKind } from './servers.js';
import type { TlsResults, TlsRun } from './results.js';

type Transport = 'plain' | 'tls';

const argv = process.argv.slice(2);
const num = (flag: string, dflt: number): number => {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const OPTS = {
  idle: num('--idle', 1000),
  handshakes: num('--handshakes', 200),
  n: num('--n', 100),
  senders: num('--senders', 10),
  rate: num('--rate', 10),
  seconds: num('--seconds', 5),
  only: argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] as ServerKind) : undefined,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!);

/** Where to reach one server, plaintext and TLS. */
interface Endpoint {
  server: RunningServer;
  proto: ProtocolAdapter;
  host: string;
  port: number;
  tlsPort: number;
}

/** Open a connection (TLS: any certificate, resuming `session` when given); resolves once it can carry data. */
function open(e: Endpoint, transport: Transport, session?: Buffer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s: net.Socket =
      transport === 'tls'
        ? tls.connect({ host: e.host, port: e.tlsPort, rejectUnauthorized: false, ...(session && { session }) }, () => resolve(s))
        : net.connect({ host: e.host, port: e.port }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** A load client: registers, then counts the payloads it receives (not its own echo) and answers keepalives. */
class Client {
  deliveries = 0;
  readonly latencyUs: number[] = [];
  dead = false;
  private rest: Buffer | null = null;
  private constructor(
    readonly socket: net.Socket,
    private readonly proto: ProtocolAdapter,
    readonly index: number,
  ) {
    socket.on('error', () => {});
    socket.on('close', () => (this.dead = true));
  }

  static async join(e: Endpoint, transport: Transport, index: number, enterRoom: boolean, isSender: boolean): Promise<Client> {
    const socket = await open(e, transport);
    const c = new Client(socket, e.proto, index);
    const nick = `b${index}`;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const onData = (d: Buffer): void => {
        buf += d.toString('utf8');
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          const step = e.proto.handshake(line, nick, isSender, enterRoom);
          if (step.reply) socket.write(step.reply);
          if (step.error) return reject(new Error(`${nick}: ${step.error}`));
          if (step.joined) {
            socket.off('data', onData);
            socket.on('data', (chunk: Buffer) => c.read(chunk));
            return resolve();
          }
        }
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error(`${nick}: closed during the handshake`)));
      socket.write(e.proto.greeting(nick));
    });
    return c;
  }

  private read(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    let nl;
    while ((nl = buf.indexOf(10, start)) >= 0) {
      const at = buf.indexOf(MARKER, start);
      if (at >= 0 && at < nl && nl - at >= PAYLOAD_FIELDS_BYTES) {
        if (payloadSender(buf, at) !== this.index) {
          this.deliveries++;
          if ((this.deliveries & 7) === 0) this.latencyUs.push(nowUs() - payloadTime(buf, at));
        }
      } else if (buf.indexOf(this.proto.pingNeedle, start) === start) {
        const pong = this.proto.pong(buf, start);
        if (pong) this.socket.write(pong);
      }
      start = nl + 1;
    }
    this.rest = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connect `count` clients, `inflight` at a time. */
async function connectMany(count: number, inflight: number, make: (i: number) => Promise<Client>): Promise<Client[]> {
  const out: Client[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await make(i);
      }
    }),
  );
  return out;
}

/** Wait until the server has used no CPU for `quietMs` (a storm of notices or closes has been handled), at most `maxMs`. */
async function settle(server: RunningServer, quietMs = 500, maxMs = 20_000): Promise<void> {
  const end = Date.now() + maxMs;
  let last = server.cpuSec();
  while (Date.now() < end) {
    await sleep(quietMs);
    const now = server.cpuSec();
    if (now - last < 0.01) return;
    last = now;
  }
}

/** The generator's own CPU (this process), seconds. */
const selfCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function idle(e: Endpoint, transport: Transport): Promise<TlsRun['idle']> {
  await settle(e.server);
  const before = e.server.rssKiB();
  const t = performance.now();
  const clients = await connectMany(OPTS.idle, 16, (i) => Client.join(e, transport, 10_000 + i, e.proto.name === 'parley', false));
  const ms = performance.now() - t;
  await settle(e.server);
  await sleep(1000);
  const after = e.server.rssKiB();
  for (const c of clients) c.close();
  await settle(e.server);
  return { clients: OPTS.idle, connectMs: ms, rssBeforeKiB: before, rssAfterKiB: after, rssPerClientKiB: (after - before) / OPTS.idle };
}

async function handshakes(e: Endpoint): Promise<TlsRun['handshakes']> {
  // TLS 1.3 tickets come after the handshake. A server that sends none is found out once (a second's
  // wait); after that no connection waits for one.
  let ticketWaitMs = 1000;
  const once = async (session?: Buffer): Promise<{ session?: Buffer; reused: boolean }> => {
    const s = (await open(e, 'tls', session)) as tls.TLSSocket;
    const reused = s.isSessionReused();
    const got = ticketWaitMs === 0 ? undefined : await Promise.race([new Promise<Buffer>((r) => s.once('session', r)), sleep(ticketWaitMs).then(() => undefined)]);
    if (got === undefined) ticketWaitMs = 0;
    s.destroy();
    return { ...(got && { session: got }), reused };
  };
  const run = async (resume: boolean): Promise<{ cpuUs: number; reused: number }> => {
    let session: Buffer | undefined = resume ? (await once()).session : undefined;
    await settle(e.server, 300);
    const cpu0 = e.server.cpuSec();
    let reused = 0;
    for (let i = 0; i < OPTS.handshakes; i++) {
      const r = await once(resume ? session : undefined);
      if (r.reused) reused++;
      if (r.session) session = r.session;
    }
    await settle(e.server, 300);
    return { cpuUs: ((e.server.cpuSec() - cpu0) / OPTS.handshakes) * 1e6, reused };
  };
  const full = await run(false);
  const resumed = await run(true);
  return { count: OPTS.handshakes, fullCpuUs: full.cpuUs, resumedCpuUs: resumed.cpuUs, resumed: resumed.reused };
}

async function room(e: Endpoint, transport: Transport): Promise<TlsRun['room']> {
  const { n, senders, rate, seconds } = OPTS;
  // Senders first: they are the clients 0..senders-1 (IRC senders become operators with +F, as in the main bench).
  const clients = await connectMany(n, 16, (i) => Client.join(e, transport, i, true, i < senders));
  await settle(e.server);
  for (const c of clients) c.deliveries = 0;
  const runId = Math.floor(Math.random() * 10_000);
  const perSender = rate * seconds;
  const cpu0 = e.server.cpuSec();
  const gen0 = selfCpu();
  const t0 = performance.now();
  let lagMs = 0;
  await Promise.all(
    clients.slice(0, senders).map(async (c, s) => {
      const start = t0 + (s * 1000) / rate / senders; // spread over each interval, as the main bench does
      for (let k = 0; k < perSender; k++) {
        const due = start + (k * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        lagMs = Math.max(lagMs, performance.now() - due);
        c.socket.write(e.proto.say(makePayload(runId, s, k, nowUs())));
      }
    }),
  );
  const expected = senders * perSender * (n - 1);
  const count = () => clients.reduce((a, c) => a + c.deliveries, 0);
  const end = Date.now() + 5000;
  while (count() < expected && Date.now() < end) await sleep(20);
  const wall = (performance.now() - t0) / 1000;
  const cpu = e.server.cpuSec() - cpu0;
  const gen = selfCpu() - gen0;
  const received = count();
  const lat = clients.flatMap((c) => c.latencyUs);
  const dead = clients.filter((c) => c.dead).length;
  for (const c of clients) c.close();
  await settle(e.server);
  return {
    n,
    senders,
    ratePerSender: rate,
    seconds,
    expected,
    received,
    lost: expected - received,
    dead,
    serverCpuSec: cpu,
    serverCpuPerMDeliveries: (cpu / Math.max(1, received)) * 1e6,
    p50Ms: pct(lat, 50) / 1000,
    p99Ms: pct(lat, 99) / 1000,
    generatorCores: gen / wall,
    senderLagMs: lagMs,
  };
}

/** A self-signed ECDSA P-256 certificate for ngIRCd, made by parley's own code (the same kind parley serves). */
async function ngircdCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const { makeSelfSigned } = (await import(path.join(REPO_ROOT, 'dist/server/certificate.js'))) as { makeSelfSigned(): Promise<{ cert: string; key: string }> };
  const made = await makeSelfSigned();
  const files = { cert: path.join(dir, 'ngircd-cert.pem'), key: path.join(dir, 'ngircd-key.pem') };
  fs.writeFileSync(files.cert, made.cert);
  fs.writeFileSync(files.key, made.key, { mode: 0o600 });
  return files;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-tls-'));
  const cores = os.cpus().length;
  const cpus = cores > 1 ? String(cores - 1) : null;
  const ngircd = OPTS.only === 'parley' ? null : findNgircd();
  const kinds: ServerKind[] = OPTS.only ? [OPTS.only] : ngircd ? ['parley', 'ngircd'] : ['parley'];
  if (!ngircd && OPTS.only !== 'parley') process.stderr.write('ngIRCd not found: measuring parley alone (see bench/README.md to install it)\n');
  const cert = ngircd ? await ngircdCertificate(dir) : undefined;
  const runs: TlsRun[] = [];
  const started = Date.now();
  for (const transport of ['plain', 'tls'] as const) {
    for (const kind of kinds) {
      const server = kind === 'parley' ? await startParley({ dir, cpus }) : await startNgircd(ngircd!, { dir, cpus }, cert);
      const tlsPort = kind === 'parley' ? server.port : (server as { tlsPort?: number }).tlsPort!;
      const e: Endpoint = { server, proto: adapter(kind === 'parley' ? 'parley' : 'irc'), host: server.host, port: server.port, tlsPort };
      try {
        process.stderr.write(`${kind} ${transport}: idle ${OPTS.idle}...`);
        const i = await idle(e, transport);
        process.stderr.write(` ${i.rssPerClientKiB.toFixed(1)} KiB/client; `);
        const h = transport === 'tls' ? await handshakes(e) : null;
        if (h) process.stderr.write(`handshakes full ${h.fullCpuUs.toFixed(0)} µs, resumed ${h.resumedCpuUs.toFixed(0)} µs (${h.resumed}/${h.count}); `);
        process.stderr.write(`room N=${OPTS.n}...`);
        const r = await room(e, transport);
        process.stderr.write(` ${r.serverCpuPerMDeliveries.toFixed(2)} CPU-s/M deliveries, lost ${r.lost}\n`);
        runs.push({ server: kind, transport, idle: i, handshakes: h, room: r });
      } finally {
        await server.stop();
      }
    }
  }
  const results: TlsResults = {
    date: new Date().toISOString(),
    build: buildOf(),
    machine: { cores, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: os.loadavg(), ngircd: ngircd ? ngircdVersion(ngircd) : null },
    options: OPTS,
    tookSec: (Date.now() - started) / 1000,
    runs,
  };
  printTable(results);
  const out = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(out, { recursive: true });
  const json = JSON.stringify(results, null, 2) + '\n';
  fs.writeFileSync(path.join(out, `tls-${results.date.replace(/[:.]/g, '-').slice(0, 19)}.json`), json);
  fs.writeFileSync(path.join(out, 'tls-latest.json'), json);
  process.stdout.write(`\nJSON: ${path.join(out, 'tls-latest.json')}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
}

function printTable(r: TlsResults): void {
  const rows = [['server', 'transport', 'RSS/idle client', 'CPU-s/M deliveries', 'lost', 'p50 / p99 ms', 'full / resumed handshake', 'resumed', 'generator']];
  for (const x of r.runs) {
    rows.push([
      x.server,
      x.transport,
      `${x.idle.rssPerClientKiB.toFixed(1)} KiB`,
      x.room.serverCpuPerMDeliveries.toFixed(2),
      String(x.room.lost),
      `${x.room.p50Ms.toFixed(1)} / ${x.room.p99Ms.toFixed(1)}`,
      x.handshakes ? `${x.handshakes.fullCpuUs.toFixed(0)} / ${x.handshakes.resumedCpuUs.toFixed(0)} µs` : '-',
      x.handshakes ? `${x.handshakes.resumed}/${x.handshakes.count}` : '-',
      `${x.room.generatorCores.toFixed(2)} core`,
    ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) process.stdout.write(row.map((v, i) => v.padEnd(w[i]!)).join('  ').trimEnd() + '\n');
  process.stdout.write(
    `\nidle: ${r.options.idle} clients (parley enters the room, IRC registers only); room: N=${r.options.n}, ${r.options.senders} senders x ${r.options.rate} msg/s for ${r.options.seconds} s, open loop` +
      `\nmachine: ${r.machine.cores} cores, ${r.machine.model}, Node ${r.machine.node}, ${r.machine.ngircd ?? 'no ngIRCd'}; load average ${r.machine.loadAverage.map((x) => x.toFixed(2)).join(' ')}; took ${r.tookSec.toFixed(0)} s\n`,
  );
}

await main();
process.exit(0);
