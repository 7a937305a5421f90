#!/usr/bin/env -S node --lite-mode --no-expose-wasm
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT } from '../wire/limits.js';
import { nameProblem } from '../wire/names.js';
import { isFingerprint } from '../wire/fingerprint.js';
import { EXIT_CODES, ParleyError } from './core/errors.js';
import { parseServerList } from './core/servers.js';
import { runPlain } from './plain.js';
import { passwordFromEnvOrFile } from '../wire/password-source.js';
import { loadConfig, problemLine, type Config } from './config/config.js';
import { configFile, logsDir } from './config/paths.js';
import { printConfig, resolveConnection, type Connection } from './config/resolve.js';
import { termFeatures } from './term/features.js';
import { ChatLog } from './log/chatlog.js';
import os from 'node:os';
import type { TrustQuestion } from './core/verify.js';
import { askTrustOnTerminal } from './screen/asktrust.js';

// The shebang runs V8 in lite mode (issue 15, target 7): no JIT compilers (bytecode only, regular expressions
// interpreted), lazily allocated feedback, a 1 MiB young generation. The full-screen client with a full
// scrollback under 1,000 lines a second then holds ~62 MiB resident instead of ~83, for ~5 points more of a
// core (bench:client, real client in tmux, A/B on the same minutes). It must be on the command line: the
// heap is laid out and the compilers chosen when V8 starts. --no-expose-wasm: lite mode turns WebAssembly
// off, and says so on stderr the first time anything looks at it, unless it is off from the start.
// `env -S` (coreutils 8.30, FreeBSD, macOS) splits the line; the parley bin is started through it by npm's link.

// parley [name | server] [host] [port]: full screen on a terminal, line mode with --plain or when stdout is
// not a terminal. The config file (config/config.ts) gives the defaults; words and flags win over it. Exit codes (README "Exit codes"): 0 quit, 2 bad arguments, 3 server unreachable, 4 name
// refused, 5 connection lost, 1 anything unexpected.

function serverList(value: string): string {
  try {
    parseServerList(value, DEFAULT_PORT);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
  return value;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 1 to 65535.');
  return n;
}

function fingerprint(value: string): string {
  if (!isFingerprint(value)) throw new InvalidArgumentError('a key fingerprint looks like SHA256: followed by 43 characters, as parley-server prints it.');
  return value;
}

function userName(value: string): string {
  const problem = nameProblem(value);
  if (problem !== null) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

const program = new Command()
  .name('parley')
  .description('Chat in a parley room from the terminal.')
  .argument('[name]', 'your name in the room: letters, digits, _ - . (at most 32); or a server named in the config file (same letters)', userName)
  .argument('[host]', 'server address; for a cluster several, host1:port1,host2:port2 (tried in turn)', serverList)
  .argument('[port]', 'server port', portNumber)
  .option('--plain', 'line mode: one line in, one event out (the default when stdout is not a terminal)', false)
  .option('--json', 'line mode, writing each event as one JSON object per line', false)
  .option('--name <name>', 'your name, whatever the config file says', userName)
  .option('--config <file>', 'read settings from FILE instead of $XDG_CONFIG_HOME/parley/config.toml')
  .option('--print-config', 'print the effective settings (file and flags) as TOML, and exit', false)
  .option('--no-log', 'do not write chat logs this time')
  .option('--no-mouse', 'leave the mouse to the terminal (selecting text) this time')
  .option('--tls', 'use TLS even to this machine (it is always used to other hosts)', false)
  .option('--trust <fingerprint>', 'trust a server not seen before if its key has this fingerprint (SHA256:..., from its operator)', fingerprint)
  .option('--password-file <file>', 'line mode: the password of a registered name (or for /register), first line of FILE; or set PARLEY_PASSWORD')
  .option('--no-history', 'line mode: do not print the room messages replayed on joining')
  .option('--reconnect', 'line mode: reconnect when the connection is lost, as the full screen does (each typed line is sent once)', false)
  .addHelpText(
    'after',
    `
Examples:
  parley                             the config file's server, as its name
  parley work                        the server named "work" in the config file
  parley alice                       join the default server (127.0.0.1:7777 without a config file)
  parley bob chat.example.org 9000   join another server
  echo "hello" | parley bot          say one line and leave
  PARLEY_PASSWORD=secret parley --plain alice   log in to a registered name
  parley --json watcher < /dev/null  print the welcome as JSON and leave
  parley --trust SHA256:zXfg... bot chat.example.org   a script's first connection to a self-signed server

Exit codes: 0 quit, 2 bad arguments, 3 server unreachable, 4 name refused, 5 connection lost,
6 login failed (no or wrong password, name locked), 7 signed out (logged in elsewhere, idle),
8 server not trusted (unknown key not accepted, or a changed key).`,
  )
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => write(`${text.trim().replace(/^error: /, 'parley: ')} (see parley --help)\n`),
  });

async function main(): Promise<number> {
  try {
    program.parse();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_CODES.usage;
    throw err;
  }
  const [first, hostArg, portArg] = program.processedArgs as [string | undefined, string | undefined, number | undefined];
  const opts = program.opts<{ plain: boolean; json: boolean; passwordFile?: string; name?: string; config?: string; printConfig: boolean; log: boolean; mouse: boolean; tls: boolean; trust?: string; history: boolean; reconnect: boolean }>();
  const file = opts.config ?? configFile();
  const loaded = loadConfig(file);
  // A bad file costs its bad settings, never the client: one line, then on with the rest.
  if (loaded.problems.length > 0) process.stderr.write(`parley: ${problemLine(file, loaded.problems)}\n`);
  if (opts.config !== undefined && loaded.file === undefined) throw new ParleyError('usage', `no config file at ${file}`);
  const config: Config = { ...loaded.config, mouse: loaded.config.mouse && opts.mouse, log: { ...loaded.config.log, enabled: loaded.config.log.enabled && opts.log } };
  const words = [first, hostArg, portArg === undefined ? undefined : String(portArg)].filter((w): w is string => w !== undefined);
  const resolved = resolveConnection(config, words, { ...(opts.name !== undefined && { name: opts.name }) });
  if (opts.printConfig) {
    // Flags applied: --tls and --trust win over the server's entry, as they do when connecting.
    const run = resolved.ok ? { ...resolved.connection, tls: opts.tls || resolved.connection.tls, ...(opts.trust !== undefined && { fingerprint: opts.trust }) } : undefined;
    const features = termFeatures(process.env, config.links, config.desktop);
    process.stdout.write(printConfig(config, run, loaded.file ?? `no file at ${file}; defaults`, { hyperlinks: features.hyperlinks, notify: features.notify }));
    return 0;
  }
  if (!resolved.ok) throw new ParleyError('usage', resolved.message);
  const { name, host, port } = resolved.connection;
  const log = config.log.enabled ? chatLog(config, resolved.connection) : undefined;
  // A server of the config file brings its TLS, its key's fingerprint and its rooms; --tls and --trust win.
  const { tls, fingerprint, rooms } = resolved.connection;
  const trust = opts.trust ?? fingerprint;
  const security = { tls: opts.tls || tls ? ('on' as const) : ('auto' as const), ...(trust !== undefined && { trust }), ...(rooms.length > 0 && { rooms }) };
  let password: string | undefined;
  try {
    password = passwordFromEnvOrFile(opts.passwordFile);
  } catch (err) {
    throw new ParleyError('usage', (err as Error).message);
  }
  const plain = opts.plain || opts.json || !process.stdout.isTTY;
  if (!plain) {
    const { runFullScreen } = await import('./app.js');
    (await import('./heap.js')).tuneClientHeap();
    return runFullScreen({ name, host, port, config, ...(log && { log }), ...security });
  }
  return runPlain({
    name,
    host,
    port,
    json: opts.json,
    input: process.stdin,
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    hint: process.stdin.isTTY === true,
    history: opts.history,
    reconnect: opts.reconnect,
    ...(process.stdin.isTTY === true && { terminal: { input: process.stdin, output: process.stderr } }),
    ...security,
    // On a terminal a person can answer; from a pipe, an unknown server is refused (use --trust).
    ...(process.stdin.isTTY === true && { askTrust: (q: TrustQuestion) => askTrustOnTerminal({ input: process.stdin, output: process.stderr }, q) }),
    ...(password !== undefined && { password }),
    ...(log && { log }),
    highlight: config.highlight,
  });
}

/** The chat log for this run: under the config's `log.dir` or the XDG data dir, per server. */
function chatLog(config: Config, c: Connection): ChatLog {
  const dir = config.log.dir?.replace(/^~(?=\/|$)/, os.homedir()) ?? logsDir();
  const log = new ChatLog(dir, c.serverName ?? `${c.host}:${c.port}`, (line) => process.stderr.write(`parley: ${line}\n`));
  // Lines are written as each turn ends; a process.exit() in the same turn as the last of them writes them first.
  process.on('exit', () => log.flush());
  return log;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ParleyError) {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(EXIT_CODES[err.code]);
    }
    process.stderr.write(`parley: unexpected error: ${(err as Error).message ?? String(err)}\n`);
    process.exit(1);
  },
);
