import net from 'node:net';
import { expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../src/wire/frame.js';
import { MAX_SERVER_FRAME_BYTES } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { serverProcess } from '../helpers/cli.js';
import { MiB, openFds, rssBytes } from '../helpers/proc.js';

// 13. Soak, not part of `npm test` (run it with `npm run soak`): N clients chatting for M minutes against the
//     real server process (dist/, with its database). Prints the server's RSS at each sample and its growth
//     per minute, its file descriptors before, during and after (back to baseline once the clients leave),
//     delivery latency p50/p99/max, and messages sent, delivered and lost. Settings from the environment:
//       SOAK_CLIENTS (500)  SOAK_MINUTES (10)  SOAK_SAY_EVERY_S (10, per client)  SOAK_SAMPLE_S (60, or less for short runs)

const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 500);
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SAY_EVERY_MS = Number(process.env.SOAK_SAY_EVERY_S ?? 10) * 1000;
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_S ?? Math.min(60, (MINUTES * 60) / 6)) * 1000;
const DURATION_MS = MINUTES * 60_000;

/** Latency histogram in 0.1 ms buckets up to 60 s: constant memory however long the soak runs. */
class Histogram {
  private readonly buckets = new Uint32Array(600_000);
  count = 0;
  max = 0;
  add(ms: number): void {
    this.buckets[Math.min(this.buckets.length - 1, Math.max(0, Math.round(ms * 10)))]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }
  quantile(q: number): number {
    let want = Math.ceil(q * this.count);
    for (let i = 0; i < this.buckets.length; i++) {
      want -= this.buckets[i]!;
      if (want <= 0) return i / 10;
    }
    return this.max;
  }
}

interface Totals {
  sent: number;
  acked: number;
  delivered: number;
  errors: Record<string, number>;
  latency: Histogram;
}

/** A lean chat client: keeps counters, not frames, so 500 of them for ten minutes cost little memory. */
class SoakClient {
  private readonly decoder = new FrameDecoder(MAX_SERVER_FRAME_BYTES, MAX_SERVER_FRAME_BYTES);
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  welcomed!: Promise<void>;
  closed!: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    readonly name: string,
    private readonly totals: Totals,
  ) {
    let welcome: () => void;
    this.welcomed = new Promise((r) => (welcome = r));
    this.closed = new Promise((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const now = performance.now();
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind !== 'line') continue;
        const m = JSON.parse(ev.text) as ServerMessage;
        if (m.type === 'message') {
          const sentAt = Number(/ at (\d+(?:\.\d+)?)$/.exec(m.text)?.[1]);
          if (m.from === this.name) totals.acked++;
          else if (!Number.isNaN(sentAt)) {
            totals.delivered++;
            totals.latency.add(now - sentAt);
          }
        } else if (m.type === 'welcome') welcome();
        else if (m.type === 'ping') this.send({ type: 'pong', ...(m.token !== undefined && { token: m.token }) });
        else if (m.type === 'error') totals.errors[m.code] = (totals.errors[m.code] ?? 0) + 1;
      }
    });
    this.send({ type: 'hello', name, version: 1 });
  }

  static connect(port: number, name: string, totals: Totals): Promise<SoakClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new SoakClient(s, name, totals)));
      s.once('error', reject);
    });
  }

  /** Say something every `everyMs`, starting after a random part of it so the clients do not speak in unison. */
  chat(everyMs: number): void {
    const say = () => {
      this.totals.sent++;
      this.send({ type: 'say', text: `${this.name} #${this.seq++} at ${performance.now().toFixed(2)}` });
    };
    this.timer = setTimeout(() => {
      say();
      this.timer = setInterval(say, everyMs);
    }, Math.random() * everyMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
  }

  close(): void {
    this.stop();
    this.socket.destroy();
  }

  private send(msg: object): void {
    this.socket.write(encodeFrame(msg));
  }
}

const mib = (bytes: number) => (bytes / MiB).toFixed(1);

it(`soak: ${CLIENTS} clients chatting for ${MINUTES} min (figures printed)`, async () => {
  const server = await serverProcess(['--max-per-ip', '0']);
  const pid = server.pid;
  const log = (line: string) => process.stdout.write(`[soak] ${line}\n`);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const fdsBaseline = openFds(pid);
    const rssBaseline = rssBytes(pid);
    const totals: Totals = { sent: 0, acked: 0, delivered: 0, errors: {}, latency: new Histogram() };
    const clients: SoakClient[] = [];
    const t0 = Date.now();
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, (_, k) => SoakClient.connect(server.port, `soak${i + k}`, totals)));
      await Promise.all(batch.map((c) => c.welcomed));
      clients.push(...batch);
    }
    const fdsConnected = openFds(pid);
    const rssConnected = rssBytes(pid);
    log(`server pid ${pid}: baseline RSS ${mib(rssBaseline)} MiB, ${fdsBaseline} fds; ${CLIENTS} clients joined in ${Date.now() - t0} ms: RSS ${mib(rssConnected)} MiB, ${fdsConnected} fds`);

    for (const c of clients) c.chat(SAY_EVERY_MS);
    const start = Date.now();
    const samples: { atMs: number; rss: number }[] = [{ atMs: 0, rss: rssBytes(pid) }];
    let deliveredBefore = 0;
    while (Date.now() - start < DURATION_MS) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, DURATION_MS - (Date.now() - start))));
      const atMs = Date.now() - start;
      const rss = rssBytes(pid);
      const prev = samples[samples.length - 1]!;
      samples.push({ atMs, rss });
      log(
        `t=${(atMs / 1000).toFixed(0)} s: RSS ${mib(rss)} MiB (${(rss - prev.rss >= 0 ? '+' : '') + mib(rss - prev.rss)} since last), fds ${openFds(pid)}, ` +
          `sent ${totals.sent}, delivered ${totals.delivered} (+${totals.delivered - deliveredBefore}), p99 so far ${totals.latency.quantile(0.99).toFixed(1)} ms`,
      );
      deliveredBefore = totals.delivered;
    }
    for (const c of clients) c.stop();
    // Let what is in flight arrive: every echo, then every copy.
    const drainUntil = Date.now() + 10_000;
    while (Date.now() < drainUntil && (totals.acked < totals.sent || totals.delivered < totals.acked * (CLIENTS - 1))) await new Promise((r) => setTimeout(r, 100));

    const minutes = (samples[samples.length - 1]!.atMs - samples[0]!.atMs) / 60_000;
    const growthPerMin = (samples[samples.length - 1]!.rss - samples[0]!.rss) / minutes;
    const last = samples[samples.length - 1]!;
    const mid = samples.find((x) => x.atMs >= last.atMs / 2)!;
    const lateGrowth = mid === last ? 0 : (last.rss - mid.rss) / ((last.atMs - mid.atMs) / 60_000);
    const expected = totals.acked * (CLIENTS - 1);
    const lost = expected - totals.delivered;
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => c.closed));
    let fdsEnd = openFds(pid);
    for (const until = Date.now() + 5000; fdsEnd > fdsBaseline && Date.now() < until; fdsEnd = openFds(pid)) await new Promise((r) => setTimeout(r, 100));
    const rssEnd = rssBytes(pid);

    log('---- figures ----');
    log(`clients ${CLIENTS}, chatting ${minutes.toFixed(2)} min, one message per client every ${SAY_EVERY_MS / 1000} s`);
    const peak = Math.max(...samples.map((s) => s.rss));
    log(
      `server RSS: ${mib(samples[0]!.rss)} MiB at start of chat, ${mib(samples[samples.length - 1]!.rss)} MiB at end, peak ${mib(peak)} MiB; ` +
        `growth ${mib(growthPerMin)} MiB/min overall, ${mib(lateGrowth)} MiB/min over the second half (the first has the warm-up); ` +
        `${mib(rssEnd)} MiB after the clients left`,
    );
    log(`file descriptors: ${fdsBaseline} before, ${fdsConnected} with ${CLIENTS} clients, ${fdsEnd} after they left`);
    log(`messages: ${totals.sent} sent, ${totals.acked} acknowledged, ${totals.delivered} of ${expected} copies delivered, ${lost} lost`);
    log(`latency (send to each recipient): p50 ${totals.latency.quantile(0.5).toFixed(1)} ms, p99 ${totals.latency.quantile(0.99).toFixed(1)} ms, max ${totals.latency.max.toFixed(1)} ms over ${totals.latency.count} deliveries`);
    log(`errors from the server: ${JSON.stringify(totals.errors)}`);

    expect(fdsEnd).toBeLessThanOrEqual(fdsBaseline);
    expect(totals.acked).toBe(totals.sent);
    expect(lost).toBe(0);
    expect(totals.errors).toEqual({});
  } finally {
    server.child.kill('SIGTERM');
    await server.exit;
  }
}, DURATION_MS + 180_000);
