// npm run bench:client — the full-screen client as people run it (issue 15, target 7): the built `parley`
// in its own process on a real terminal of fixed size (a detached tmux pane, 100x30, on a private tmux
// socket), connected to a real parley-server, while five other users of the same room send it 1,000
// messages a second for 10 s (open loop on the clock; mixed scripts, long lines, a mention of the client's
// name every 50th). CPU and RSS are read from /proc/PID of the client process; so are the bytes it wrote
// (its frames to the terminal, and its chat log). The RSS "with a full scrollback" is read at the end, when
// 10,000 lines have come through a 5,000-line scrollback. The chat log and config live in a temporary HOME.
// Flags: --rate N (messages/s, default 1000), --seconds N (default 10), --json FILE (the figures, for the
// main bench's summary), --client-cpu LIST (taskset the client alone onto these CPUs; the server, the
// senders and tmux stay where this process runs), --node-options STR (experiments: NODE_OPTIONS for the
// client), --node-flags STR (experiments: node's flags for the client instead of its shebang's; "" for none).
// --hold N keeps the client N s after the figures, to be looked at from outside (/proc/PID/smaps, a heap
// snapshot through --node-flags '... --heapsnapshot-signal=SIGUSR2'). Needs `npm run build` and tmux.
// bench/client-headless.ts is the older in-process measure of the renderer alone (no terminal, no socket).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const stringArg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RATE = arg('rate', 1000);
const SECONDS = arg('seconds', 10);
const CLIENT_CPU = stringArg('client-cpu');
/** Experiments only: NODE_OPTIONS for the client process (e.g. a V8 flag), reported with the figures. */
const NODE_OPTIONS = stringArg('node-options');
/** Experiments only: node's flags for the client in place of its shebang's (V8 flags NODE_OPTIONS refuses, e.g. --max-semi-space-size). */
const NODE_FLAGS = stringArg('node-flags');
/** Seconds to keep the client running after the figures are printed (to look at it from outside: smaps, a heap snapshot). */
const HOLD = arg('hold', 0);
const COLS = 100;
const ROWS = 30;
const MiB = 1024 * 1024;
const NAME = 'me';
const AUTHORS = ['alice', 'bob', 'carol', 'dmitri', 'eve'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { SCROLLBACK_LINES } = (await import(pathToFileURL(path.join(root, 'dist/wire/limits.js')).href)) as { SCROLLBACK_LINES: number };
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-client-'));
// The private tmux server's socket is a path of ours (tmux leaves the file behind when its server ends;
// cleanup() removes it, however the run ends).
const tmuxSocket = path.join(home, 'tmux.sock');
const session = `client-bench-${process.pid}`;
// The pane is the whole terminal (no status line), and stays after the client exits, to show why.
const tmuxConf = path.join(home, 'tmux.conf');
fs.writeFileSync(tmuxConf, 'set -g status off\nset -g remain-on-exit on\n');
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', tmuxSocket, '-f', tmuxConf, ...args], { encoding: 'utf8' });

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;

/** CPU seconds (user + system, every thread) of a process, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14 and 15 of stat)
}
/** Resident set size of a process in bytes, from /proc/PID/statm. */
function rss(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
}
/** A size field of /proc/PID/status (VmHWM: the peak RSS; RssAnon, RssFile: its anonymous and file-backed parts), bytes. */
function status(pid: number, field: 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}
/** RSS split into anonymous (heaps, malloc) and file-backed (the node binary, shared libraries) MiB. */
const split = (pid: number) => `${(status(pid, 'RssAnon') / MiB).toFixed(1)} anonymous + ${(status(pid, 'RssFile') / MiB).toFixed(1)} file`;
/** Bytes written and write() calls of a process, from /proc/PID/io. */
function io(pid: number): { bytes: number; writes: number } {
  const text = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { bytes: field('wchar'), writes: field('syscw') };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) {
      const dead = tmux('display-message', '-p', '-t', session, '#{pane_dead} #{pane_dead_status}').trim();
      throw new Error(`timed out waiting for ${what}${dead.startsWith('1') ? ` (the client exited with ${dead.slice(2)})` : ''}; its screen:\n${screen()}`);
    }
    await sleep(50);
  }
}

// ---- the server -------------------------------------------------------------------------------------
const children: ChildProcess[] = [];
function cleanup(): void {
  try {
    tmux('kill-server');
  } catch {
    // no tmux server left: nothing to end
  }
  fs.rmSync(tmuxSocket, { force: true });
  for (const c of children) c.kill();
  if (process.exitCode === undefined || process.exitCode === 0) fs.rmSync(home, { recursive: true, force: true });
  else console.error(`kept ${home} (the server's log, the client's chat log)`);
}
process.on('exit', cleanup);
// Ctrl-C or a kill: end through process.exit, so that cleanup runs ('exit' is not emitted on a signal).
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
process.on('uncaughtException', (err) => {
  console.error(err.message);
  process.exit(1);
});

// --log-messages: the server's log counts the messages it relayed (below).
const server = spawn(process.execPath, [path.join(root, 'dist/server/main.js'), '0', '--no-rate-limit', '--log-messages', '--db', path.join(home, 'parley.db'), '--log', path.join(home, 'server.log')], { stdio: ['ignore', 'pipe', 'inherit'] });
children.push(server);
const port = await new Promise<number>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on [^;]*:(\d+);/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  server.on('exit', (code) => reject(new Error(`parley-server exited (${code})`)));
});
server.stdout!.resume();

// ---- the client, as a person runs it ----------------------------------------------------------------
// The bin as npm links it (its shebang's interpreter and flags), in a terminal of COLS x ROWS.
const bin = path.join(root, 'dist/tui/main.js');
const shebang = /^#!(.*)$/m.exec(fs.readFileSync(bin, 'utf8').split('\n', 1)[0]!)?.[1]?.trim().split(/\s+/) ?? ['/usr/bin/env', 'node'];
const fromShebang = shebang[0] === '/usr/bin/env' ? shebang.slice(shebang[1] === '-S' ? 2 : 1) : shebang;
const interpreter = NODE_FLAGS === undefined ? fromShebang : [fromShebang[0]!, ...NODE_FLAGS.split(/\s+/).filter(Boolean)];
const command = [...(CLIENT_CPU ? ['taskset', '-c', CLIENT_CPU] : []), ...interpreter.map((w) => (w === 'node' ? process.execPath : w)), bin, NAME, '127.0.0.1', String(port)];
const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data'), ...(NODE_OPTIONS !== undefined && { NODE_OPTIONS }) };
tmux('new-session', '-d', '-s', session, '-x', String(COLS), '-y', String(ROWS), ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), ...command);
const pid = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim());
const screen = () => tmux('capture-pane', '-p', '-t', session);
const t0 = performance.now();
// The first frame with the room in it: the users pane lists the client itself.
await until('the client to show its room', () => /Users \(1\)/.test(screen()));
const firstFrameMs = performance.now() - t0;

// ---- the senders ------------------------------------------------------------------------------------
interface Sender {
  name: string;
  socket: net.Socket;
}
async function connect(name: string): Promise<Sender> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    socket.on('error', reject);
    socket.on('data', function welcome(d: Buffer) {
      buf += d.toString();
      if (buf.includes('"type":"welcome"')) {
        socket.off('data', welcome);
        socket.resume(); // read and drop everything after: a receiver that stops reading would be dropped
        resolve();
      }
    });
    socket.write(JSON.stringify({ type: 'hello', name, version: 2, usersOnce: true }) + '\n');
  });
  socket.on('data', () => {});
  return { name, socket };
}
const senders = await Promise.all(AUTHORS.map(connect));
await until('the client to list the senders', () => new RegExp(`Users \\(${AUTHORS.length + 1}\\)`).test(screen()));
await sleep(1000);
const rssBefore = rss(pid);
const splitBefore = split(pid);

// What a busy room says: Latin, CJK, emoji (with ZWJ and skin tones), Thai, Devanagari and Arabic with
// their combining marks, long lines that wrap over several rows, and now and then the client's own name.
const samples = [
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor',
  '日本語のテキストと中文的句子，全角の文字が二つのセルを使う',
  'family 👨‍👩‍👧‍👦 thumbs 👍🏽 flags 🇫🇷🇯🇵 ok ✅ stars ✨',
  'ภาษาไทยมีสระและวรรณยุกต์ที่ซ้อนกัน เช่น กิ่ง น้ำ ผู้หญิง',
  'हिन्दी में मात्राएँ और संयुक्ताक्षर जैसे क्षत्रिय और द्वार',
  'العربية مع التشكيل: السَّلَامُ عَلَيْكُمْ وَرَحْمَةُ اللَّهِ',
  'café naïve résumé ñandú Zoë — “quotes” and ‘single’ … ellipsis',
];
const longLine = Array.from({ length: 6 }, (_, i) => samples[i % samples.length]).join(' | ');
function text(n: number): string {
  if (n % 50 === 0) return `${NAME}: message ${n} is for you, ${samples[n % samples.length]}`;
  if (n % 37 === 0) return `${n} ${longLine}`;
  return `${n} ${samples[n % samples.length]}`;
}

// ---- the flood --------------------------------------------------------------------------------------
let sent = 0;
const samplesRss: Array<{ at: number; rss: number }> = [];
const cpu0 = cpuSeconds(pid);
const io0 = io(pid);
const startAt = performance.now();
const tickMs = 10;
await new Promise<void>((done) => {
  const timer = setInterval(() => {
    // Open loop on the clock, not on timer ticks: a late timer sends the messages that were due.
    const due = Math.floor((RATE * (performance.now() - startAt)) / 1000);
    const batches = new Map<Sender, string>();
    while (sent < due) {
      sent++;
      const s = senders[sent % senders.length]!;
      batches.set(s, (batches.get(s) ?? '') + JSON.stringify({ type: 'say', text: text(sent) }) + '\n');
    }
    for (const [s, out] of batches) s.socket.write(out);
    const elapsed = performance.now() - startAt;
    if (samplesRss.length === 0 || elapsed - samplesRss[samplesRss.length - 1]!.at >= 1000) samplesRss.push({ at: elapsed, rss: rss(pid) });
    if (elapsed >= SECONDS * 1000) {
      clearInterval(timer);
      done();
    }
  }, tickMs);
});
const wall = (performance.now() - startAt) / 1000;
const cpuShare = (cpuSeconds(pid) - cpu0) / wall;
const io1 = io(pid);
const rssEnd = rss(pid);
const splitEnd = split(pid);
// The client has drawn the last message (it kept up), and is still connected.
// Normally within a frame or two; on a loaded machine the server may hold the senders' last lines back
// (backpressure), so this is reported, not required.
const lastShown = await until(`the client to show message ${sent}`, () => new RegExp(`(^|[ >])${sent} `, 'm').test(screen()), 10_000).then(
  () => true,
  () => false,
);
const caughtUpSec = (performance.now() - startAt) / 1000 - wall;
const relayed = (fs.readFileSync(path.join(home, 'server.log'), 'utf8').match(/ message conn=/g) ?? []).length;
const rssAfter = rss(pid);
const peak = status(pid, 'VmHWM');
const half = samplesRss[Math.floor(samplesRss.length / 2)]!;
for (const s of senders) s.socket.destroy();

const rows = [
  ['messages fed', `${sent} in ${wall.toFixed(1)} s (${(sent / wall).toFixed(0)}/s), ${relayed} relayed by the server; ${lastShown ? `the last one on screen ${caughtUpSec.toFixed(2)} s after the feed ended` : `the last one NOT on screen ${caughtUpSec.toFixed(1)} s after the feed ended`}`],
  ['client CPU', `${(cpuShare * 100).toFixed(1)}% of one core (target <= 30%)`],
  ['written by the client', `${((io1.bytes - io0.bytes) / MiB).toFixed(1)} MiB in ${(io1.writes - io0.writes).toLocaleString('en-US')} write() calls (frames to the terminal and the chat log)`],
  ['time to first frame', `${firstFrameMs.toFixed(0)} ms (process start to the room on screen)`],
  ['RSS', `${(rssBefore / MiB).toFixed(1)} MiB before any message, ${(half.rss / MiB).toFixed(1)} at ${(half.at / 1000).toFixed(0)} s, ${(rssEnd / MiB).toFixed(1)} at the end (target <= 70), ${(rssAfter / MiB).toFixed(1)} once caught up; peak ${(peak / MiB).toFixed(1)}`],
  ['RSS split', `before: ${splitBefore}; at the end: ${splitEnd}`],
  ['load average', os.loadavg().map((l) => l.toFixed(2)).join(' ')],
];
const jsonAt = process.argv.indexOf('--json');
if (jsonAt > 0) {
  const result = {
    measured: `the parley client process in tmux ${COLS}x${ROWS}, against parley-server`,
    rate: RATE,
    seconds: SECONDS,
    messages: sent,
    relayed,
    lastShown,
    cpuShare,
    firstFrameMs,
    rssBeforeMiB: rssBefore / MiB,
    rssMiB: rssEnd / MiB,
    rssPeakMiB: peak / MiB,
    writtenMiB: (io1.bytes - io0.bytes) / MiB,
    scrollback: SCROLLBACK_LINES,
    loadAverage: os.loadavg(),
  };
  fs.writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(result) + '\n');
}
const width = Math.max(...rows.map(([k]) => k!.length));
console.log(`parley full-screen client (its own process, tmux ${COLS}x${ROWS}, ${[...interpreter.slice(1), ...(NODE_OPTIONS ? [`NODE_OPTIONS='${NODE_OPTIONS}'`] : []), ''].join(' ')}pid ${pid}), ${RATE} messages/s from ${AUTHORS.length} users for ${SECONDS} s (node ${process.version})`);
for (const [k, v] of rows) console.log(`  ${k!.padEnd(width)}  ${v}`);
if (HOLD > 0) {
  console.log(`  (the client, pid ${pid}, is kept for ${HOLD} s)`);
  await sleep(HOLD * 1000);
}
process.exit(0);
