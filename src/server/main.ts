#!/usr/bin/env node
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, MAX_CONNECTIONS_PER_IP } from '../wire/limits.js';
import { DEFAULT_MOTD } from './hub.js';
import { startServer, type RunningServer } from './host.js';
import { EventLog } from './log.js';

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

function fail(message: string): never {
  process.stderr.write(`parley-server: ${message}\n`);
  process.exit(2);
}

const program = new Command()
  .name('parley-server')
  .description('The parley relay: one room, whispers, renames and the user list, over TCP.')
  .argument('[port]', `TCP port to listen on (0 picks a free one)`, portNumber, DEFAULT_PORT)
  .option('--host <address>', 'address to listen on; 0.0.0.0 (or ::) for every interface', DEFAULT_HOST)
  .option('--log <file>', 'event log, appended to', './server.log')
  .option('--log-whispers', 'also log the text of whispers (off: the operator should not read them)', false)
  .option('--motd <text>', 'message of the day sent in every welcome', DEFAULT_MOTD)
  .option('--no-rate-limit', 'turn off per-client flood limits (for benchmarks only)')
  .option('--max-per-ip <n>', 'connections allowed from one IP address, 0 for no cap', count, MAX_CONNECTIONS_PER_IP)
  .addHelpText(
    'after',
    `
Examples:
  parley-server                      listen on 127.0.0.1:7777, log to ./server.log
  parley-server 9000                 listen on port 9000
  parley-server --host 0.0.0.0       accept connections from other machines
  parley-server --log /var/log/parley.log --motd "Be nice"`,
  )
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => write(`${text.trim().replace(/^error: /, 'parley-server: ')} (see parley-server --help)\n`),
  });

try {
  program.parse();
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  throw err;
}

const port = program.processedArgs[0] as number;
const opts = program.opts<{ host: string; log: string; logWhispers: boolean; motd: string; rateLimit: boolean; maxPerIp: number }>();

let log: EventLog;
try {
  log = new EventLog(path.resolve(opts.log));
} catch (err) {
  fail(`cannot open the log file ${opts.log}: ${(err as Error).message}`);
}

let server: RunningServer | undefined;

async function stop(reason: string, code: number): Promise<never> {
  log.write('stop', { reason, code });
  if (server) await Promise.race([server.close(reason), new Promise((r) => setTimeout(r, 1000))]);
  log.close();
  process.exit(code);
}

process.on('uncaughtException', (err) => {
  log.write('crash', { error: err.message, stack: err.stack });
  log.flushSync();
  process.stderr.write(`parley-server: internal error, see ${log.path}: ${err.message}\n`);
  void stop('the server hit an internal error and is going down', 1);
});
process.on('SIGINT', () => void stop('the server is shutting down', 0));
process.on('SIGTERM', () => void stop('the server is shutting down', 0));

try {
  server = await startServer({
    host: opts.host,
    port,
    motd: opts.motd,
    logWhisperText: opts.logWhispers,
    ...(opts.rateLimit ? {} : { ratePerSecond: 0 }),
    maxConnectionsPerIp: opts.maxPerIp,
    log: log.write,
    console: (line) => process.stdout.write(line + '\n'),
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') fail(`port ${port} is already in use on ${opts.host}; stop the other server or pick another port: parley-server PORT`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') fail(`cannot listen on ${opts.host}: no such address on this machine`);
  if (e.code === 'EACCES') fail(`not allowed to listen on port ${port}; ports below 1024 need root, pick a higher one`);
  fail(`cannot listen on ${opts.host}:${port}: ${e.message}`);
}

log.write('start', { host: server.host, port: server.port, pid: process.pid });
process.stdout.write(`parley-server listening on ${server.host}:${server.port}; log: ${log.path}\n`);
process.stdout.write(`connect with: npx parley YOURNAME ${server.host} ${server.port}\n`);
