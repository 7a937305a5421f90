// node --expose-gc bench/dist/client-headless.js — the renderer alone, in this process (not the client people
// run: that is bench/client.ts, the parley process on a terminal). The headless client (the same renderTui the
// snapshot tests use, on fake TTY streams) is fed 1,000 incoming room messages per second for 10 s, and we
// report its CPU, frames drawn per second (renders are batched per event-loop turn, not one per message),
// memory before, during and after (flat once the scrollback is full), and the time to the first frame.
// Flags: --rate N (messages/s, default 1000), --seconds N (default 10), --json FILE (the figures). Needs
// `npm run build` first.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Tui {
  ui: { event(e: object): void; screen: { render(): void } };
  output: NodeJS.ReadableStream;
  lastFrame(): string;
  cleanup(): void;
}
type RenderTui = (o: { cols: number; rows: number }) => Tui;

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RATE = arg('rate', 1000);
const SECONDS = arg('seconds', 10);
const MiB = 1024 * 1024;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The bench compiles on its own (bench/tsconfig.json), so the client comes from the build, typed above.
const { renderTui } = (await import(pathToFileURL(path.join(root, 'dist/tui/screen/headless.js')).href)) as { renderTui: RenderTui };
// The client's own garbage-collector settings, as `parley` applies them before the full screen starts.
const heap = (await import(pathToFileURL(path.join(root, 'dist/tui/heap.js')).href)) as { tuneClientHeap(): void; CLIENT_HEAP_FLAGS: readonly string[] };
heap.tuneClientHeap();

const mem = () => process.memoryUsage();
const gc = (globalThis as { gc?: () => void }).gc;

gc?.();
const before = mem();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const t = renderTui({ cols: 120, rows: 40 });
t.output.resume(); // a terminal reads what is drawn; an unread stream would hold every frame in memory
let frames = 0;
const render = t.ui.screen.render.bind(t.ui.screen);
t.ui.screen.render = () => {
  frames++;
  render();
};
t.ui.event({ kind: 'status', status: 'connected', detail: 'connected to bench' });
t.ui.event({ kind: 'welcome', name: 'me', users: ['me', 'alice', 'bob', 'carol'], motd: 'bench', server: 'bench', account: false, blocked: [] });
t.lastFrame();
const firstFrameMs = performance.now() - t0;

const authors = ['alice', 'bob', 'carol', 'dmitri', 'eve'];
const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor 中文 😀'.split(' ');
let sent = 0;
const tickMs = 10;
const samples: Array<{ at: number; rss: number; heap: number }> = [];

const startCpu = process.cpuUsage();
const startAt = performance.now();
const framesAtStart = frames;
await new Promise<void>((done) => {
  const timer = setInterval(() => {
    // Open loop on the clock, not on timer ticks: a late timer sends the messages that were due.
    const due = Math.floor((RATE * (performance.now() - startAt)) / 1000);
    while (sent < due) {
      const text = Array.from({ length: 8 + (sent % 12) }, (_, k) => words[(sent + k) % words.length]).join(' ');
      t.ui.event({ kind: 'message', id: ++sent, from: authors[sent % authors.length], text, time: Date.now(), action: false, own: false, mention: sent % 50 === 0 });
    }
    const elapsed = performance.now() - startAt;
    if (samples.length === 0 || elapsed - samples[samples.length - 1]!.at >= 1000) {
      const m = mem();
      samples.push({ at: elapsed, rss: m.rss, heap: m.heapUsed });
    }
    if (elapsed >= SECONDS * 1000) {
      clearInterval(timer);
      done();
    }
  }, tickMs);
});
const wall = (performance.now() - startAt) / 1000;
const used = process.cpuUsage(startCpu);
const cpuShare = (used.user + used.system) / 1e6 / wall;
const drawn = frames - framesAtStart;
t.lastFrame();
gc?.();
const after = mem();
const half = samples[Math.floor(samples.length / 2)]!;
const last = samples[samples.length - 1]!;
t.cleanup();

const rows = [
  ['messages fed', `${sent} in ${wall.toFixed(1)} s (${(sent / wall).toFixed(0)}/s)`],
  ['client CPU', `${(cpuShare * 100).toFixed(1)}% of one core (target <= 30%)`],
  ['frames drawn', `${drawn} (${(drawn / wall).toFixed(1)}/s; ${(sent / Math.max(1, drawn)).toFixed(1)} messages per frame)`],
  ['time to first frame', `${firstFrameMs.toFixed(0)} ms (target < 300 ms)`],
  ['RSS', `${(before.rss / MiB).toFixed(1)} MiB before, ${(half.rss / MiB).toFixed(1)} at ${(half.at / 1000).toFixed(0)} s, ${(last.rss / MiB).toFixed(1)} at ${(last.at / 1000).toFixed(0)} s, ${(after.rss / MiB).toFixed(1)} after`],
  ['JS heap', `${(before.heapUsed / MiB).toFixed(1)} MiB before, ${(half.heap / MiB).toFixed(1)} at ${(half.at / 1000).toFixed(0)} s, ${(last.heap / MiB).toFixed(1)} at ${(last.at / 1000).toFixed(0)} s, ${(after.heapUsed / MiB).toFixed(1)} after${gc ? ' (after GC)' : ''}`],
  ['whole run CPU', `${((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6).toFixed(2)} s`],
];
const jsonAt = process.argv.indexOf('--json');
if (jsonAt > 0) {
  const { SCROLLBACK_LINES } = (await import(pathToFileURL(path.join(root, 'dist/wire/limits.js')).href)) as { SCROLLBACK_LINES: number };
  const result = {
    rate: RATE,
    seconds: SECONDS,
    messages: sent,
    cpuShare,
    framesPerSec: drawn / wall,
    firstFrameMs,
    rssMiB: last.rss / MiB,
    heapMiB: last.heap / MiB,
    scrollback: SCROLLBACK_LINES,
  };
  fs.writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(result) + '\n');
}
const width = Math.max(...rows.map(([k]) => k!.length));
console.log(`parley full-screen renderer, headless in-process 120x40 (not the client process: see bench/client.ts), ${RATE} messages/s for ${SECONDS} s (node ${process.version}; V8 ${heap.CLIENT_HEAP_FLAGS.join(' ')})`);
for (const [k, v] of rows) console.log(`  ${k!.padEnd(width)}  ${v}`);
