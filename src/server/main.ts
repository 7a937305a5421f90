#!/usr/bin/env node
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CONSOLE_FLUSH_MS, LOG_FLUSH_BYTES, DEFAULT_BLOCK_DURATION_S, DEFAULT_HISTORY, DEFAULT_ROOM, DEFAULT_HOST, DEFAULT_PORT, MAX_CONNECTIONS_PER_IP, MAX_CONCURRENT_HASHES, MAX_HISTORY, SHUTDOWN_DEADLINE_MS } from '../wire/limits.js';
import { Accounts, AUTH_MODES, type AuthMode } from './accounts.js';
import { DEFAULT_DB, runAdmin } from './admin.js';
import { CertificateError, selfSignedFiles, TlsIdentity } from './certificate.js';
import { importCredentials } from './credentials.js';
import { DEFAULT_MOTD } from './hub.js';
import { roomProblem } from '../wire/rooms.js';
import { startServer, type RunningServer } from './host.js';
import { DatabaseInUse, lockDatabase, type DatabaseLock } from './dblock.js';
import { collectWhenIdle } from './idlegc.js';
import { EventLog } from './log.js';
import { LineBuffer } from './line-buffer.js';
import { DEFAULT_SCRYPT, PasswordHasher } from './passwords.js';
import { Store, StoreError } from './store.js';
import type { Membership } from './cluster/node.js';

// parley-server [port]: argument parsing, the log file, and the process's life (signals, fatal errors).
// Exit codes: 0 clean stop, 1 crash (stack in the log), 2 bad command line or the port cannot be used.

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535.');
  return n;
}

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

function authMode(value: string): AuthMode {
  if (!(AUTH_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose one of ${AUTH_MODES.join(', ')}.`);
  return value as AuthMode;
}

function historySize(value: string): number {
  const n = count(value);
  if (n > MAX_HISTORY) throw new InvalidArgumentError(`at most ${MAX_HISTORY}.`);
  return n;
}

function powerOfTwo(value: string): number {
  const n = count(value);
  if (n < 2 || (n & (n - 1)) !== 0 || n > 2 ** 20) throw new InvalidArgumentError('a power of two from 2 to 1048576.');
  return n;
}

function roomName(value: string): string {
  const problem = roomProblem(value);
  if (problem !== null) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

/** The IRC gateway's server name: a host-name-like word (RFC 2812 §2.3.1 `servername`), at most 63 characters. */
function ircServerName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(value)) throw new InvalidArgumentError('a server name is letters, digits, dots and dashes, like a host name, at most 63 characters.');
  return value;
}

function fail(message: string): never {
  process.stderr.write(`parley-server: ${message}\n`);
  process.exit(2);
}

const program = new Command()
  .name('parley-server')
  .description('The parley relay: rooms, whispers, renames and the user lists, over TCP.')
  .argument('[port]', `TCP port to listen on (0 picks a free one)`, portNumber, DEFAULT_PORT)
  .option('--host <address>', 'address to listen on; 0.0.0.0 (or ::) for every interface', DEFAULT_HOST)
  .option('--log <file>', 'event log, appended to', './server.log')
  .option('--log-whispers', 'also log the text of whispers (off: the operator should not read them)', false)
  .option('--log-messages', 'also log every room message with its text (off: the history keeps the last --history lines of each room)', false)
  .option('--motd <text>', 'message of the day sent in every welcome', DEFAULT_MOTD)
  .option('--no-rate-limit', 'turn off per-client flood limits (for benchmarks only)')
  .option('--max-per-ip <n>', 'connections allowed from one IP address, 0 for no cap', count, MAX_CONNECTIONS_PER_IP)
  .option('--db <path>', 'database of accounts, history, offline whispers and blocks (created if missing)', DEFAULT_DB)
  .option('--redis <url>', 'join a cluster: every server on the same Redis (redis://HOST:PORT/DB) is one chat system; also $PARLEY_REDIS_URL; --db is then unused')
  .option('--auth <mode>', 'off: any free name; optional: registered names need their password; required: registered users only', authMode, 'optional' as AuthMode)
  .option('--credentials <file>', 'import accounts from a plain "name password" file (hashed on import; existing names are kept)')
  .option('--block-duration <seconds>', 'how long a name stays locked after 3 wrong passwords', count, DEFAULT_BLOCK_DURATION_S)
  .option('--idle-timeout <seconds>', 'log out users idle this long (0: never)', count, 0)
  .option('--default-room <#name>', 'the room everyone enters on connecting (version-1 clients live only there)', roomName, DEFAULT_ROOM)
  .option('--history <n>', `room messages replayed to each user on join (0 to ${MAX_HISTORY})`, historySize, DEFAULT_HISTORY)
  .option('--irc-port <port>', 'also let IRC clients in on this port (6667 is the usual one; 0 picks a free one)', portNumber)
  .option('--irc-server-name <name>', 'the name the IRC gateway gives itself in numerics and sources (default parley)', ircServerName)
  .option('--irc-no-default-room', "don't put IRC clients in the default room at login: they join channels themselves, as on any IRC network", false)
  .option('--irc-tls-port <port>', "also let IRC clients in over TLS on this port, with the server's certificate (6697 is the usual one)", portNumber)
  .option('--tls-cert <file>', 'TLS certificate chain (PEM), e.g. from a CA; without it the server makes its own self-signed one beside the database')
  .option('--tls-key <file>', 'private key (PEM) of --tls-cert; both files are read again on SIGHUP')
  .option('--allow-plaintext', 'accept plaintext from any address, not only this machine (behind a TLS-terminating proxy)', false)
  .option('--require-tls', 'refuse plaintext even from this machine', false)
  .option('--scrypt-n <N>', 'scrypt cost for new password hashes (tests only; lowering it weakens stored passwords)', powerOfTwo, DEFAULT_SCRYPT.N)
  .addHelpText(
    'after',
    `
Examples:
  parley-server                      listen on 127.0.0.1:7777, log to ./server.log
  parley-server 9000                 listen on port 9000
  parley-server --host 0.0.0.0       accept connections from other machines
  parley-server --log /var/log/parley.log --motd "Be nice"
  parley-server --auth required --credentials users.txt
  PARLEY_PASSWORD=secret parley-server user add alice   create an account
  parley-server user admin alice     make alice a server administrator
  parley-server user passwd alice    new password for alice (asked twice); ends all her sessions
  parley-server --default-room '#main'   everyone enters #main instead of #lobby
  parley-server user list --db ./parley.db
  parley-server --host 0.0.0.0 --tls-cert fullchain.pem --tls-key privkey.pem   a CA-issued certificate`,
  )
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => write(`${text.trim().replace(/^error: /, 'parley-server: ')} (see parley-server --help)\n`),
  });

if (process.argv[2] === 'cluster') {
  // Loaded only here (and in cluster mode): a single server never pays for the Redis client.
  const { runCluster } = await import('./cluster/cli.js');
  const code = await runCluster(process.argv.slice(3), (t) => process.stdout.write(t), (t) => process.stderr.write(t));
  process.exit(code);
}

if (process.argv[2] === 'user') {
  await runAdmin(process.argv.slice(3));
  process.exit(0);
}

try {
  program.parse();
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  throw err;
}

const port = program.processedArgs[0] as number;
const opts = program.opts<{
  host: string;
  log: string;
  logWhispers: boolean;
  logMessages: boolean;
  motd: string;
  rateLimit: boolean;
  maxPerIp: number;
  db: string;
  redis?: string;
  auth: AuthMode;
  credentials?: string;
  blockDuration: number;
  idleTimeout: number;
  history: number;
  defaultRoom: string;
  scryptN: number;
  ircPort?: number;
  ircTlsPort?: number;
  ircServerName?: string;
  ircNoDefaultRoom: boolean;
  tlsCert?: string;
  tlsKey?: string;
  allowPlaintext: boolean;
  requireTls: boolean;
}>();

if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) fail('--tls-cert and --tls-key go together: give both files, or neither for a self-signed certificate');
if (opts.allowPlaintext && opts.requireTls) fail('--allow-plaintext and --require-tls contradict each other; choose one');
if (opts.requireTls && opts.ircPort !== undefined) fail('--require-tls refuses plaintext, and --irc-port is plaintext IRC; use --irc-tls-port instead');

let log: EventLog;
try {
  log = new EventLog(path.resolve(opts.log));
} catch (err) {
  fail(`cannot open the log file ${opts.log}: ${(err as Error).message}`);
}
// The console's lines wait up to CONSOLE_FLUSH_MS and go out in one write (issue 15, target 6).
const consoleBuffer = new LineBuffer((text) => process.stdout.write(text), CONSOLE_FLUSH_MS, LOG_FLUSH_BYTES);
const consoleLine = (line: string): void => consoleBuffer.add(line);
// Lines wait up to LOG_FLUSH_MS in memory: whatever way the process ends, they are written first.
process.on('exit', () => {
  log.flushSync();
  consoleBuffer.flush();
});

const redisUrl = opts.redis ?? (process.env.PARLEY_REDIS_URL || undefined);
let store: Store;
let cluster: Membership | undefined;
if (redisUrl !== undefined) {
  // Cluster mode: Redis holds the shared state; this server keeps a replica in memory (src/server/cluster).
  const { joinCluster } = await import('./cluster/node.js');
  const { RedisUrlError } = await import('./cluster/redis.js');
  try {
    cluster = await joinCluster(redisUrl, { host: opts.host, port, historySize: opts.history, log: log.write });
  } catch (err) {
    fail(err instanceof RedisUrlError ? `--redis: ${err.message}` : (err as Error).message);
  }
  store = cluster.store;
} else {
  try {
    store = new Store(opts.db);
  } catch (err) {
    fail(err instanceof StoreError ? `${err.message} (pick another file with --db PATH)` : `cannot open the database ${opts.db}: ${(err as Error).message}`);
  }
}
// Held in a variable until the process ends: an unreferenced lock is garbage-collected, and better-sqlite3
// then closes its file and the lock with it (it happened during the first await below).
let databaseLock: DatabaseLock | undefined;
try {
  databaseLock = lockDatabase(store.file);
  store.setMetaValue('server_pid', process.pid);
} catch (err) {
  if (!(err instanceof DatabaseInUse)) fail(`cannot lock the database ${opts.db}: ${(err as Error).message}`);
  const pid = store.metaValue('server_pid');
  fail(`${err.message}${pid === undefined ? '' : ` (pid ${pid})`}; stop that server first, or pick another file with --db PATH`);
}
const scrypt = { ...DEFAULT_SCRYPT, N: opts.scryptN };
if (opts.credentials !== undefined) {
  try {
    // Its own hasher with an unbounded queue: a long file waits its turn instead of being refused as busy.
    const { added, skipped, weak } = await importCredentials(opts.credentials, store, new PasswordHasher(scrypt, MAX_CONCURRENT_HASHES, Infinity), Date.now());
    for (const w of weak) {
      log.write('credentials_weak', { file: opts.credentials, line: w.line, name: w.name, problem: w.problem });
      process.stderr.write(`parley-server: warning: ${opts.credentials} line ${w.line}: the password of ${w.name} is weak (${w.problem}); ${w.name} will be asked for a new one at next login\n`);
    }
    log.write('credentials', { file: opts.credentials, added, skipped, weak: weak.length });
    process.stdout.write(`imported ${added} account(s) from ${opts.credentials}${skipped ? `; ${skipped} already existed` : ''}\n`);
  } catch (err) {
    fail((err as Error).message);
  }
}
let identity: TlsIdentity;
let tlsCreated: boolean;
try {
  const files = opts.tlsCert !== undefined ? { cert: opts.tlsCert, key: opts.tlsKey! } : selfSignedFiles(opts.db);
  ({ identity, created: tlsCreated } = await TlsIdentity.open(files, opts.tlsCert === undefined));
} catch (err) {
  fail(err instanceof CertificateError ? err.message : `cannot set up TLS: ${(err as Error).message}`);
}
const accounts =
  opts.auth === 'off'
    ? undefined
    : new Accounts(store, new PasswordHasher(scrypt), { mode: opts.auth, blockDurationS: opts.blockDuration, ...(cluster && { claim: cluster.claimAccount, rotate: cluster.rotate, caughtUp: cluster.caughtUp }) });

let server: RunningServer | undefined;

// The console is a courtesy: if whoever reads it goes away (the terminal closed, the pipe's reader
// died), writing to it fails with EPIPE, and that must not take the room down. The log file is the record.
// Logged once, so a disk-full or I/O error on a redirected console is on record without flooding it.
let consoleFailed = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (consoleFailed) return;
    consoleFailed = true;
    log.write('console_error', { code: err.code, error: err.message });
  });
}

let stopping = false;

async function stop(reason: string, code: number): Promise<void> {
  if (stopping) return; // a second signal or error while going down changes nothing
  stopping = true;
  // Whatever happens below (the error that started this may strike again), the process ends.
  setTimeout(() => process.exit(code), 2 * SHUTDOWN_DEADLINE_MS).unref();
  try {
    log.write('stop', { reason, code });
    if (server) await Promise.race([server.close(reason), new Promise((r) => setTimeout(r, SHUTDOWN_DEADLINE_MS))]);
    // Leaving on purpose: the other servers drop this one's users now, not when its presence lapses.
    if (cluster) await Promise.race([cluster.node.stop(), new Promise((r) => setTimeout(r, SHUTDOWN_DEADLINE_MS))]);
    store.close();
    databaseLock?.release();
    log.close();
  } catch (err) {
    log.write('crash', { during: 'stop', error: (err as Error).message });
    log.flushSync();
  } finally {
    process.exit(code);
  }
}

process.on('uncaughtException', (err) => {
  log.write('crash', { error: err.message, stack: err.stack });
  log.flushSync();
  process.stderr.write(`parley-server: internal error, see ${log.path}: ${err.message}\n`);
  void stop('the server hit an internal error and is going down', 1);
});
process.on('SIGINT', () => void stop('the server is shutting down', 0));
process.on('SIGTERM', () => void stop('the server is shutting down', 0));
// A renewed certificate (certbot's deploy hook, say) is picked up without dropping anyone: new connections
// get the new one. A broken renewal keeps the old one and says why.
process.on('SIGHUP', () => {
  try {
    const fingerprint = identity.reload();
    log.write('tls_reload', { cert: identity.files.cert, fingerprint });
    consoleLine(`reloaded TLS certificate ${identity.files.cert}; key fingerprint ${fingerprint}`);
  } catch (err) {
    log.write('tls_reload_failed', { cert: identity.files.cert, error: (err as Error).message });
    process.stderr.write(`parley-server: kept the old TLS certificate: ${(err as Error).message}\n`);
  }
});

/** What both IRC ports share: flood pacing as the parley port's, the log, the server's IRC name, the default room or not. */
const ircOptions = { ...(opts.rateLimit ? {} : { ratePerSecond: 0 }), log: log.write, ...(opts.ircServerName !== undefined && { serverName: opts.ircServerName }), ...(opts.ircNoDefaultRoom && { defaultRoom: false }) };
try {
  server = await startServer({
    host: opts.host,
    port,
    motd: opts.motd,
    logWhisperText: opts.logWhispers,
    logMessages: opts.logMessages,
    ...(opts.rateLimit ? {} : { ratePerSecond: 0 }),
    maxConnectionsPerIp: opts.maxPerIp,
    store,
    ...(accounts && { accounts }),
    historySize: opts.history,
    defaultRoom: opts.defaultRoom,
    idleTimeoutMs: opts.idleTimeout * 1000,
    log: log.write,
    console: consoleLine,
    ...(opts.ircPort !== undefined && { irc: { port: opts.ircPort, ...ircOptions } }),
    ...(opts.ircTlsPort !== undefined && { ircTls: { port: opts.ircTlsPort, ...ircOptions } }),
    ...(cluster && { peers: cluster.node }),
    secureContext: identity.secureContext,
    plaintext: opts.requireTls ? 'never' : opts.allowPlaintext ? 'any' : 'loopback',
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE' && opts.ircPort !== undefined && (e as { port?: number }).port === opts.ircPort && opts.ircPort !== port) {
    fail(`the IRC port ${opts.ircPort} is already in use on ${opts.host}; stop the other server or pick another: --irc-port PORT`);
  }
  if (e.code === 'EADDRINUSE' && opts.ircTlsPort !== undefined && (e as { port?: number }).port === opts.ircTlsPort && opts.ircTlsPort !== port) {
    fail(`the IRC TLS port ${opts.ircTlsPort} is already in use on ${opts.host}; stop the other server or pick another: --irc-tls-port PORT`);
  }
  if (e.code === 'EADDRINUSE') fail(`port ${port} is already in use on ${opts.host}; stop the other server or pick another port: parley-server PORT`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') fail(`cannot listen on ${opts.host}: no such address on this machine`);
  if (e.code === 'EACCES') fail(`not allowed to listen on port ${port}; ports below 1024 need root, pick a higher one`);
  fail(`cannot listen on ${opts.host}:${port}: ${e.message}`);
}

cluster?.node.attach(server.hub, server.host, server.port);
// Memory back after bursts of talk: one full collection once the server has gone quiet (src/server/idlegc.ts).
collectWhenIdle((c) => log.write('idle_gc', { heap_before_kib: Math.round(c.heapBeforeBytes / 1024), heap_after_kib: Math.round(c.heapAfterBytes / 1024), ms: Math.round(c.ms) }), () => server.hub.messagesIssued);
const where = cluster ? `cluster node ${cluster.node.bus.nodeId} on ${cluster.shown}` : `database: ${store.file}`;
log.write('start', { host: server.host, port: server.port, pid: process.pid, db: cluster ? undefined : store.file, node: cluster?.node.bus.nodeId, auth: opts.auth, tls_cert: identity.files.cert, fingerprint: identity.fingerprint, self_signed: identity.selfSigned, created: tlsCreated });
process.stdout.write(`parley-server listening on ${server.host}:${server.port}; log: ${log.path}; ${where} (auth ${opts.auth})\n`);
process.stdout.write(
  `TLS key fingerprint ${identity.fingerprint} (${identity.selfSigned ? `self-signed, ${tlsCreated ? 'made now' : 'kept'} in ${identity.files.cert}` : identity.files.cert}); ` +
    `plaintext ${opts.requireTls ? 'refused' : opts.allowPlaintext ? 'accepted from anywhere' : 'accepted from this machine only'}\n`,
);
process.stdout.write(`connect with: npx parley YOURNAME ${server.host} ${server.port}\n`);
if (server.irc) process.stdout.write(`IRC gateway on ${server.irc.host}:${server.irc.port}; e.g. irssi -c ${server.irc.host} -p ${server.irc.port} -n YOURNAME\n`);
if (server.ircTls) process.stdout.write(`IRC gateway over TLS on ${server.ircTls.host}:${server.ircTls.port}; e.g. in irssi: /connect -tls ${server.ircTls.host} ${server.ircTls.port}\n`);
