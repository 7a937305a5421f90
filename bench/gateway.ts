// npm run bench:gateway: what the IRC gateway costs per delivery, next to parley's own port. One
// parley-server with --irc-port, one room (#lobby, where everyone starts), the same clients and senders
// three ways: every client on the parley port, every client on the IRC port, half and half. Senders send
// at a fixed rate; every other client receives every message.
//
//   node bench/dist/gateway.js [--clients 100] [--senders 5] [--rate 20] [--seconds 8] [--modes parley,irc,mixed]
//
// Reports deliveries/s (room messages received by clients), the server's CPU per delivery (user + system
// over the measured window) and the p50/p99 latency from send to receipt. The load generator runs in
// this process: on a small machine it competes with the server for the CPU, which the report states
// with the load average. Both protocols' receivers do the same minimal work (find the payload in the
// line), so the difference between rows is the server's encoding and fan-out for each protocol.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PARLEY_MAIN, procCpuSec } from './servers.js';
import type { DeliveryFigures } from './results.js';
import { Histogram, summarize } from './stats.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

type Mode = 'parley' | 'irc' | 'mixed';
const CLIENTS = Number(option('clients', '100'));
const SENDERS = Number(option('senders', '5'));
const RATE = Number(option('rate', '20'));
const SECONDS = Number(option('seconds', '8'));
const MODES = option('modes', 'parley,irc,mixed').split(',') as Mode[];
for (const m of MODES) if (m !== 'parley' && m !== 'irc' && m !== 'mixed') throw new Error(`--modes takes parley, irc, mixed; not ${m}`);

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
/** Every room message carries `PAYLOAD_MARK` and its send time in µs, so receipt needs no parsing. */
const PAYLOAD_MARK = 'bgw ';

interface Client {
  socket: net.Socket;
  received: number;
  say(text: string): void;
}

/** Lines from a socket, with the partial tail kept. */
function onLines(socket: net.Socket, each: (line: string) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      each(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

/** The payload's send time after the mark in `line`, or -1 when the line carries none. */
function sentAt(line: string): number {
  const at = line.indexOf(PAYLOAD_MARK);
  return at < 0 ? -1 : parseInt(line.slice(at + PAYLOAD_MARK.length, at + PAYLOAD_MARK.length + 20), 10);
}

function parleyClient(port: number, name: string, record: (sent: number) => void): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let ref = 0;
    const c: Client = { socket, received: 0, say: (text) => socket.write(JSON.stringify({ type: 'say', text, ref: String(ref++) }) + '\n') };
    socket.on('error', reject);
    socket.on('connect', () => socket.write(JSON.stringify({ type: 'hello', name, version: 1 }) + '\n'));
    onLines(socket, (line) => {
      if (line.includes('"type":"welcome"')) return resolve(c);
      // Our own echo carries our ref; the others' messages do not.
      if (!line.includes('"type":"message"') || line.includes('"ref"')) return;
      const sent = sentAt(line);
      if (sent < 0) return;
      c.received++;
      record(sent);
    });
  });
}

function ircClient(port: number, nick: string, record: (sent: number) => void): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const c: Client = { socket, received: 0, say: (text) => socket.write(`PRIVMSG #lobby :${text}\r\n`) };
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`));
    onLines(socket, (line) => {
      if (line.startsWith('PING ')) return void socket.write(`PONG ${line.slice(5)}\n`);
      // In #lobby from registration: its NAMES ends the handshake.
      if (line.includes(' 366 ') && line.includes('#lobby')) return resolve(c);
      if (!line.includes(' PRIVMSG #lobby :')) return;
      const sent = sentAt(line);
      if (sent < 0) return;
      c.received++;
      record(sent);
    });
  });
}

function started(child: ChildProcess): Promise<{ port: number; ircPort: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`parley-server did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const p = /listening on [^ ]*:(\d+);/.exec(out);
      const i = /IRC gateway on [^ ]*:(\d+);/.exec(out);
      if (p && i) {
        clearTimeout(timer);
        resolve({ port: Number(p[1]), ircPort: Number(i[1]) });
      }
    });
    child.once('exit', () => reject(new Error(`parley-server exited:\n${out}`)));
  });
}

interface Row extends DeliveryFigures {
  mode: Mode;
}

/** Which protocol client `i` speaks in `mode` (mixed: alternating, so senders are of both kinds too). */
const speaksIrc = (mode: Mode, i: number): boolean => mode === 'irc' || (mode === 'mixed' && i % 2 === 1);

async function runOnce(mode: Mode, dir: string): Promise<Row> {
  const child = spawn(process.execPath, [PARLEY_MAIN, '0', '--irc-port', '0', '--db', path.join(dir, `${mode}.db`), '--log', path.join(dir, `${mode}.log`), '--no-rate-limit', '--max-per-ip', '0', '--history', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { port, ircPort } = await started(child);
    const hist = new Histogram();
    const record = (sent: number): void => hist.record(Math.max(1, nowUs() - sent));
    const clients: Client[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await (speaksIrc(mode, i) ? ircClient(ircPort, `g${i}`, record) : parleyClient(port, `g${i}`, record)));
    await new Promise((r) => setTimeout(r, 1000)); // the joins' fan-out settles
    for (const c of clients) c.received = 0;
    const cpu0 = procCpuSec(child.pid!);
    const t0 = nowUs();
    let sent = 0;
    const senders = clients.slice(0, SENDERS);
    const timer = setInterval(() => {
      for (const s of senders) {
        s.say(`${PAYLOAD_MARK}${nowUs()}`);
        sent++;
      }
    }, 1000 / RATE);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 1000)); // the last ones arrive
    const elapsed = (nowUs() - t0) / 1e6;
    const cpu = procCpuSec(child.pid!) - cpu0;
    const deliveries = clients.reduce((s, c) => s + c.received, 0);
    for (const c of clients) c.socket.destroy();
    const lat = summarize(hist);
    return { mode, deliveries, expected: sent * (CLIENTS - 1), perSecond: deliveries / elapsed, cpuUsPerDelivery: (cpu * 1e6) / Math.max(1, deliveries), p50: lat.p50Ms, p99: lat.p99Ms };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-gateway-'));
  const rows: Row[] = [];
  try {
    for (const mode of MODES) {
      process.stderr.write(`${mode}: ${CLIENTS} clients, ${SENDERS} senders x ${RATE} msg/s for ${SECONDS} s...\n`);
      rows.push(await runOnce(mode, dir));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const label: Record<Mode, string> = { parley: 'all on the parley port', irc: 'all on the IRC gateway', mixed: 'half and half' };
  process.stdout.write(`\ngateway bench: ${CLIENTS} clients in #lobby, ${SENDERS} senders x ${RATE} msg/s, ${SECONDS} s; ${os.cpus().length} CPUs, load average ${load}\n\n`);
  process.stdout.write('| clients | deliveries/s | delivered/expected | server CPU per delivery | p50 | p99 |\n|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(`| ${label[r.mode]} | ${Math.round(r.perSecond)} | ${r.deliveries}/${r.expected} | ${r.cpuUsPerDelivery.toFixed(1)} µs | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |\n`);
  }
}

await main();
