import { Command, CommanderError } from 'commander';
import { RedisUrlError } from './redis.js';
import { runClusterStatus } from './status.js';

// `parley-server cluster status [--redis URL] [--json]`: what the operator asks of a running cluster.
// Exit codes: 0 shown, 2 bad arguments, 3 Redis cannot be reached.

/** Runs the `cluster` subcommand with `argv` (after the word "cluster"); resolves with the exit code. */
export async function runCluster(argv: string[], write: (text: string) => void, writeError: (text: string) => void): Promise<number> {
  let code = 0;
  const program = new Command()
    .name('parley-server cluster')
    .description('Inspect a parley cluster (servers started with --redis).')
    .exitOverride()
    .configureOutput({
      writeOut: write,
      writeErr: writeError,
      outputError: (text, w) => w(`${text.trim().replace(/^error: /, 'parley-server cluster: ')} (see parley-server cluster --help)\n`),
    });
  program
    .command('status')
    .description('show the nodes, their users and their last heartbeat')
    .option('--redis <url>', 'the cluster\'s Redis, redis://HOST:PORT/DB (default: $PARLEY_REDIS_URL)')
    .option('--json', 'one JSON array of nodes instead of text', false)
    .action(async (opts: { redis?: string; json: boolean }) => {
      const url = opts.redis ?? process.env.PARLEY_REDIS_URL;
      if (!url) {
        writeError('parley-server cluster: which cluster? give --redis redis://HOST:PORT/DB or set PARLEY_REDIS_URL\n');
        code = 2;
        return;
      }
      try {
        const result = await runClusterStatus(url, opts.json);
        (result.code === 0 ? write : writeError)(result.text);
        code = result.code;
      } catch (err) {
        if (!(err instanceof RedisUrlError)) throw err;
        writeError(`parley-server cluster: ${err.message}\n`);
        code = 2;
      }
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
