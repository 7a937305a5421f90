// npm run bench:floor — what Node.js itself costs per idle connection, beside parley (issue 15, targets 4 and
// 8). A "bare" server is a few lines of Node that keep every connection and answer a hello line with one
// welcome line of W bytes, nothing else: no rooms, no sessions, no notices. Its RSS per client is the floor
// parley's own figure stands on; the difference is what parley keeps. Per case, on a fresh server:
//   K clients connect (16 handshakes in flight), each writes a hello and waits for the welcome, and stays;
//   RSS per client = (RSS once the server is quiet again − RSS before) / K.
// Cases: `net` (net.Server), `tls` (tls.Server with an ECDSA P-256 certificate made by parley's own code, as
// parley serves by default), and `parley` / `parley-tls` (the built server, whose hello enters the default
// room, so every client also receives the room's join notices and the room frame listing the members: the
// clients say hello with usersOnce, as parley's own client and \`npm run bench\`'s do). The bare
// servers are run with welcomes of each size in --welcome: TLS keeps per connection buffers that grow with
// the largest write it has made (see bench/README.md, "The floor"). Target 4a is at 10,000 clients:
// `--clients 10000 --only net,parley` (the clients are this process's sockets: it and the server each need
// 10,000+ descriptors; the open-files limit is raised where allowed, and a shortfall said).
//
//   node bench/dist/floor.js [--clients 1000[,10000]] [--welcome 20,16384] [--only net,tls,parley,parley-tls]
//   node bench/dist/floor.js --serve net|tls PORT WELCOME_BYTES [CERT KEY]     (a bare server; used by the above)

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { raiseFdLimit } from './fdlimit.js';
import type { FloorResults, FloorRow } from './results.js';
import { freePort, procCpuSecPrecise, procRssKiB, REPO_ROOT, startParley } from './servers.js';

const argv = process.argv.slice(2);
const list = (flag: string, dflt: string): string[] => {
  const i = argv.indexOf(flag);
  return (i >= 0 ? argv[i + 1]! : dflt).split(',').filter((s) => s !== '');
};
const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bare server: keep the connection, answer each chunk holding "hello" with the welcome. */
function serve(kind: string, port: number, welcomeBytes: number, cert?: string, key?: string): void {
  const welcome = Buffer.from(`{"type":"welcome","pad":"${'x'.repeat(Math.max(0, welcomeBytes - 30))}"}\n`);
  const onConnection = (socket: net.Socket): void => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      if (d.includes('hello')) socket.write(welcome);
    });
  };
  const server =
    kind === 'tls'
      ? tls.createServer({ cert: fs.readFileSync(cert!), key: fs.readFileSync(key!), minVersion: 'TLSv1.2' }, onConnection)
      : net.createServer(onConnection);
  server.listen(port, HOST, () => process.stdout.write('listening\n'));
}

type Case = Pick<FloorRow, 'name' | 'transport' | 'welcomeBytes'>;

/** Start a case's server; resolves with its pid, port and a stop function. */
async function start(c: Case, dir: string, cert: { cert: string; key: string }): Promise<{ pid: number; port: number; stop(): Promise<void> }> {
  if (c.name.startsWith('parley')) {
    const s = await startParley({ dir, cpus: null });
    return { pid: s.pid, port: s.port, stop: () => s.stop() };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', c.name, String(port), String(c.welcomeBytes), cert.cert, cert.key], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`bare ${c.name} server exited (${code})`)));
  });
  return {
    pid: child.pid!,
    port,
    async stop() {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Connect, say hello, wait for the welcome; the socket stays open and is drained. */
function client(port: number, transport: 'plain' | 'tls', i: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s: net.Socket = transport === 'tls' ? tls.connect({ host: HOST, port, rejectUnauthorized: false }, hello) : net.connect({ host: HOST, port }, hello);
    s.setNoDelay(true);
    s.once('error', reject);
    let seen = '';
    const onData = (d: Buffer): void => {
      seen = (seen + d.toString('latin1')).slice(-64 * 1024);
      if (!seen.includes('"welcome"')) return;
      s.off('data', onData);
      s.on('data', () => {});
      resolve(s);
    };
    function hello(): void {
      s.on('data', onData);
      s.write(JSON.stringify({ type: 'hello', name: `f${i}`, version: 2, grouped: true, usersOnce: true }) + '\n');
    }
  });
}

/** Wait until the server has used no CPU for half a second (the notices and writes of the storm are done). */
async function settle(pid: number): Promise<void> {
  let last = procCpuSecPrecise(pid);
  for (let i = 0; i < 120; i++) {
    await sleep(500);
    const now = procCpuSecPrecise(pid);
    if (now - last < 0.01) return;
    last = now;
  }
}

async function measure(c: Case, clients: number, dir: string, cert: { cert: string; key: string }): Promise<FloorRow> {
  const server = await start(c, dir, cert);
  try {
    await sleep(500);
    const rssBeforeKiB = procRssKiB(server.pid);
    const t0 = performance.now();
    const sockets: net.Socket[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < clients) sockets.push(await client(server.port, c.transport, next++));
      }),
    );
    const connectSec = (performance.now() - t0) / 1000;
    await settle(server.pid);
    await sleep(1000);
    const rssAfterKiB = procRssKiB(server.pid);
    for (const s of sockets) s.destroy();
    return { ...c, clients, rssBeforeKiB, rssAfterKiB, perClientKiB: (rssAfterKiB - rssBeforeKiB) / clients, connectSec };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const counts = list('--clients', '1000').map(Number);
  raiseFdLimit(65_536, Math.max(...counts) + 1024);
  const welcomes = list('--welcome', '20,16384').map(Number);
  const only = new Set(list('--only', 'net,tls,parley,parley-tls'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-floor-'));
  const { makeSelfSigned } = (await import(path.join(REPO_ROOT, 'dist/server/certificate.js'))) as { makeSelfSigned(): Promise<{ cert: string; key: string }> };
  const made = await makeSelfSigned();
  const cert = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
  fs.writeFileSync(cert.cert, made.cert);
  fs.writeFileSync(cert.key, made.key, { mode: 0o600 });
  const cases: Case[] = [];
  for (const name of ['net', 'tls'] as const) if (only.has(name)) for (const w of welcomes) cases.push({ name, transport: name === 'tls' ? 'tls' : 'plain', welcomeBytes: w });
  if (only.has('parley')) cases.push({ name: 'parley', transport: 'plain', welcomeBytes: null });
  if (only.has('parley-tls')) cases.push({ name: 'parley-tls', transport: 'tls', welcomeBytes: null });
  const rows: FloorRow[] = [];
  for (const k of counts) {
    for (const c of cases) {
      const row = await measure(c, k, dir, cert);
      rows.push(row);
      process.stdout.write(
        `${c.name.padEnd(10)} ${String(k).padStart(6)} clients  welcome ${c.welcomeBytes === null ? 'parley' : `${c.welcomeBytes} B`}:`.padEnd(48) +
          ` ${row.perClientKiB.toFixed(2).padStart(6)} KiB/client (RSS ${(row.rssBeforeKiB / 1024).toFixed(1)} -> ${(row.rssAfterKiB / 1024).toFixed(1)} MiB, connected in ${row.connectSec.toFixed(1)} s)\n`,
      );
    }
  }
  const date = new Date().toISOString();
  const out = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, `floor-${date.replace(/[:.]/g, '-').slice(0, 19)}.json`);
  const result: FloorResults = { date, machine: { cores: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: os.loadavg() }, rows };
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; JSON: ${file}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
}

if (argv[0] === '--serve') serve(argv[1]!, Number(argv[2]), Number(argv[3]), argv[4], argv[5]);
else {
  await main();
  process.exit(0);
}
