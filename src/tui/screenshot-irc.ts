import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Emulator } from './screen/emulator.js';
import { PADDING, screenSvg } from './screen/svg.js';
import { Tmux } from './screen/tmux.js';

// `npm run screenshots:irc`: irssi and parley's full screen side by side in the same room, as a person
// sees them. A real parley-server with the IRC gateway, irssi (Debian's) in one tmux pane and parley's
// client in the other, a short conversation typed into both, then each pane captured with its colours
// (tmux capture-pane -e), fed to the same terminal emulator `npm run screenshots` draws from, and the two
// pictures put next to each other: screenshots/irc.svg and its text twin irc.txt. Needs tmux and irssi.

const COLS = 80;
const ROWS = 24;
const GAP = 16;
const LABEL = 24;

process.env.TZ = 'UTC';
const outDir = path.resolve(process.argv[2] ?? 'screenshots');
const dist = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-irc-shot-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = spawn(process.execPath, [path.join(dist, 'server', 'main.js'), '0', '--irc-port', '0', '--db', path.join(tmp, 'parley.db'), '--log', path.join(tmp, 'server.log'), '--history', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const tmux = new Tmux(`irc-shot-${process.pid}`, 'irc-shot');
const extra: net.Socket[] = [];
try {
  const { port, ircPort } = await new Promise<{ port: number; ircPort: number }>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const p = /listening on [^ ]*:(\d+);/.exec(out);
      const i = /IRC gateway on [^ ]*:(\d+);/.exec(out);
      if (p && i) resolve({ port: Number(p[1]), ircPort: Number(i[1]) });
    });
    server.once('exit', (code) => reject(new Error(`parley-server exited (${code}) before listening`)));
  });
  const env = { LANG: 'C.UTF-8', TERM: 'xterm-256color', HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_STATE_HOME: path.join(tmp, 'state'), TZ: 'UTC' };
  tmux.open(COLS, ROWS, [
    ['irssi', `--home=${path.join(tmp, 'irssi')}`, '-n', 'bob', '-c', '127.0.0.1', '-p', String(ircPort)],
    [process.execPath, path.join(dist, 'tui', 'main.js'), 'alice', '127.0.0.1', String(port), '--no-log'],
  ], env);
  await tmux.waitFor(0, (t) => t.includes('End of /MOTD'), 30_000);
  await tmux.waitFor(1, (t) => t.includes('bob'), 30_000);
  tmux.type(0, '/window goto #lobby');
  await tmux.waitFor(0, (t) => t.includes('[Users #lobby]'));
  // A third person, on parley's port with a bare connection, so the room has more than two voices.
  const carol = net.connect({ host: '127.0.0.1', port });
  extra.push(carol);
  carol.write(JSON.stringify({ type: 'hello', name: 'carol', version: 2 }) + '\n');
  await tmux.waitFor(0, (t) => t.includes('carol [carol@parley] has joined'));

  const steps: Array<[number, string, string]> = [
    [1, 'hi bob, this is parley', 'this is parley'],
    [0, 'hello alice! irssi here, through the IRC gateway', 'irssi here'],
    [0, '/me waves from irssi', 'waves from irssi'],
    [1, '/me waves back', 'waves back'],
  ];
  for (const [pane, text, seen] of steps) {
    tmux.type(pane, text);
    await tmux.waitFor(1 - pane, (t) => t.includes(seen));
  }
  carol.write(JSON.stringify({ type: 'say', room: '#lobby', text: 'both of you are in #lobby, same room' }) + '\n');
  await tmux.waitFor(0, (t) => t.includes('same room'));
  tmux.type(1, '/w bob lunch at noon?');
  await tmux.waitFor(0, (t) => t.includes('Act:'));
  tmux.type(0, '/msg alice yes, noon works');
  await tmux.waitFor(1, (t) => t.includes('noon works'));
  tmux.type(0, '/window goto #lobby');
  await sleep(1000);

  const shots = [0, 1].map((i) => {
    const e = new Emulator(tmux.panes[i]!.cols, tmux.panes[i]!.rows);
    e.write(tmux.ansi(i).replace(/\n$/, '').split('\n').join('\r\n'));
    return e;
  });
  for (const e of shots) await e.settle();
  const svgs = shots.map((e) => screenSvg(e));
  const size = (svg: string) => /width="([\d.]+)" height="([\d.]+)"/.exec(svg)!.slice(1).map(Number) as [number, number];
  const [w0, h0] = size(svgs[0]!);
  const [w1, h1] = size(svgs[1]!);
  const width = w0 + GAP + w1;
  const height = LABEL + Math.max(h0, h1);
  const label = (x: number, text: string) => `<text x="${x + PADDING}" y="17" fill="#d3d3d3">${text}</text>`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Source Code Pro, monospace" font-size="14">\n` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#202020"/>\n` +
    label(0, 'irssi 1.4 (IRC) — bob') +
    '\n' +
    label(w0 + GAP, 'parley — alice') +
    '\n' +
    `<g transform="translate(0 ${LABEL})">${svgs[0]!.replace(/^<svg /, '<svg x="0" y="0" ')}</g>\n` +
    `<g transform="translate(${w0 + GAP} ${LABEL})">${svgs[1]!.replace(/^<svg /, '<svg x="0" y="0" ')}</g>\n` +
    '</svg>\n';
  const text = [0, 1].map((i) => tmux.text(i).replace(/\n$/, '').split('\n'));
  const rows = Math.max(text[0]!.length, text[1]!.length);
  const twin = Array.from({ length: rows }, (_, y) => `${(text[0]![y] ?? '').padEnd(COLS)} │ ${text[1]![y] ?? ''}`.trimEnd()).join('\n');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'irc.svg'), svg);
  writeFileSync(path.join(outDir, 'irc.txt'), twin + '\n');
  console.log('irc: irssi and parley side by side in #lobby');
} finally {
  for (const s of extra) s.destroy();
  tmux.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
