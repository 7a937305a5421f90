#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT } from '../wire/limits.js';
import { nameProblem } from '../wire/names.js';
import { EXIT_CODES, ParleyError } from './core/errors.js';
import { parseServerList } from './core/servers.js';
import { runPlain } from './plain.js';
import { passwordFromEnvOrFile } from '../wire/password-source.js';

// parley <username> [host] [port]: full screen on a terminal, line mode with --plain or when stdout is not a
// terminal. Exit codes (README "Exit codes"): 0 quit, 2 bad arguments, 3 server unreachable, 4 name
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

function userName(value: string): string {
  const problem = nameProblem(value);
  if (problem !== null) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

const program = new Command()
  .name('parley')
  .description('Chat in a parley room from the terminal.')
  .argument('<username>', 'your name in the room: letters, digits, _ - . (at most 32)', userName)
  .argument('[host]', 'server address; for a cluster several, host1:port1,host2:port2 (tried in turn)', serverList, DEFAULT_HOST)
  .argument('[port]', 'server port', portNumber, DEFAULT_PORT)
  .option('--plain', 'line mode: one line in, one event out (the default when stdout is not a terminal)', false)
  .option('--json', 'line mode, writing each event as one JSON object per line', false)
  .option('--password-file <file>', 'line mode: the password of a registered name (or for /register), first line of FILE; or set PARLEY_PASSWORD')
  .addHelpText(
    'after',
    `
Examples:
  parley alice                       join the server on 127.0.0.1:7777
  parley bob chat.example.org 9000   join another server
  echo "hello" | parley bot          say one line and leave
  PARLEY_PASSWORD=secret parley --plain alice   log in to a registered name
  parley --json watcher < /dev/null  print the welcome as JSON and leave

Exit codes: 0 quit, 2 bad arguments, 3 server unreachable, 4 name refused, 5 connection lost,
6 login failed (no or wrong password, name locked), 7 signed out (logged in elsewhere, idle).`,
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
  const [name, host, port] = program.processedArgs as [string, string, number];
  const opts = program.opts<{ plain: boolean; json: boolean; passwordFile?: string }>();
  let password: string | undefined;
  try {
    password = passwordFromEnvOrFile(opts.passwordFile);
  } catch (err) {
    throw new ParleyError('usage', (err as Error).message);
  }
  const plain = opts.plain || opts.json || !process.stdout.isTTY;
  if (!plain) {
    const { runFullScreen } = await import('./app.js');
    return runFullScreen({ name, host, port });
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
    ...(process.stdin.isTTY === true && { terminal: { input: process.stdin, output: process.stderr } }),
    ...(password !== undefined && { password }),
  });
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
