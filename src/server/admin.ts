import { Command, CommanderError } from 'commander';
import { passwordFromEnvOrFile } from '../wire/password-source.js';
import { askPasswordOnTerminal } from '../tui/screen/askpass.js';
import { foldName, nameProblem } from '../wire/names.js';
import { passwordProblem } from './accounts.js';
import { DEFAULT_SCRYPT, PasswordHasher } from './passwords.js';
import { Store, StoreError } from './store.js';

// `parley-server user add|remove|admin|list [NAME]`: account administration on the database file, without a
// running server (SQLite's WAL lets it run beside one), or with --redis (or $PARLEY_REDIS_URL) on a
// cluster's accounts, which its running servers take up at once. The password comes from PARLEY_PASSWORD
// or --password-file, never from the command line.

export const DEFAULT_DB = './parley.db';

function fail(message: string): never {
  process.stderr.write(`parley-server user: ${message}\n`);
  process.exit(2);
}

/** Where the accounts are: a database file, or a cluster's Redis. */
interface Accounts {
  store: Store;
  /** For messages: `./parley.db`, or `the cluster on redis://HOST:PORT/DB`. */
  where: string;
  /** Register cluster-wide (the name may be taken meanwhile by a server); absent for a file. */
  claim?: (user: { key: string; name: string; hash: string; created: number }) => Promise<boolean>;
  /** Write what changed (a cluster's journal) and let go. */
  close(): Promise<void>;
}

interface Where {
  db: string;
  redis?: string;
}

async function open(o: Where): Promise<Accounts> {
  const url = o.redis ?? (process.env.PARLEY_REDIS_URL || undefined);
  if (url !== undefined) {
    // Loaded only here: administering a lone server's file never pays for the Redis client.
    const { openClusterAccounts } = await import('./cluster/offline.js');
    try {
      const cluster = await openClusterAccounts(url);
      const close = async (): Promise<void> => {
        try {
          await cluster.close();
        } catch (err) {
          fail(`the cluster's Redis did not take the change: ${(err as Error).message}`);
        }
      };
      return { store: cluster.store, where: `the cluster on ${cluster.shown}`, claim: cluster.claim, close };
    } catch (err) {
      fail(`--redis: ${(err as Error).message}`);
    }
  }
  try {
    const store = new Store(o.db);
    return { store, where: o.db, close: async () => store.close() };
  } catch (err) {
    fail(err instanceof StoreError ? err.message : `cannot open ${o.db}: ${(err as Error).message}`);
  }
}

function checkName(name: string): string {
  const problem = nameProblem(name);
  if (problem !== null) fail(`"${name.slice(0, 40)}" is not a valid name: ${problem}`);
  return name;
}

/**
 * The password for `user add` and `user passwd`: from `--password-file` or PARLEY_PASSWORD, else from
 * `otherwise` (passwd asks); exits with `missing`, or why it cannot be used.
 */
async function passwordFor(file: string | undefined, missing: string, otherwise?: () => Promise<string | undefined>): Promise<string> {
  let password: string | undefined;
  try {
    password = passwordFromEnvOrFile(file) ?? (await otherwise?.());
  } catch (err) {
    fail((err as Error).message);
  }
  if (password === undefined) fail(missing);
  const problem = passwordProblem(password);
  if (problem) fail(problem);
  return password;
}

/**
 * The new password for `user passwd` when neither PARLEY_PASSWORD nor a file gives one: on a terminal,
 * asked twice without echo (on stderr); from a pipe, its first line. Throws when the two differ.
 */
async function newPasswordFromStdin(name: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    const term = { input: stdin, output: process.stderr };
    const first = await askPasswordOnTerminal(term, `new password for ${name}: `);
    if (first === undefined || first === '') return undefined;
    const again = await askPasswordOnTerminal(term, `new password for ${name} again: `);
    if (again !== first) throw new Error('the two passwords differ; nothing was changed');
    return first;
  }
  let text = '';
  for await (const chunk of stdin) {
    text += (chunk as Buffer).toString('utf8');
    if (text.includes('\n')) break;
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  return line === '' ? undefined : line;
}

export async function runAdmin(argv: string[]): Promise<void> {
  const program = new Command()
    .name('parley-server user')
    .description('Manage accounts in the parley database.')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${text.trim().replace(/^error: /, 'parley-server user: ')} (see parley-server user --help)\n`) });
  const dbOption = ['--db <path>', 'the database file', DEFAULT_DB] as const;
  const redisOption = ['--redis <url>', "a cluster's Redis, redis://HOST:PORT/DB (also $PARLEY_REDIS_URL): act on the cluster's accounts instead of --db"] as const;
  const passwordFileOption = ['--password-file <file>', 'read the password from the first line of this file'] as const;
  const hashed = (password: string) => new PasswordHasher(DEFAULT_SCRYPT).hash(password);
  /** A subcommand acting on the account NAME, in --db or --redis; `password`: it also takes --password-file. */
  const accountCommand = (command: string, description: string, password = false) => {
    const c = program.command(command).description(description).argument('<name>').option(...dbOption).option(...redisOption);
    return password ? c.option(...passwordFileOption) : c;
  };

  accountCommand('add', 'create an account; the password comes from PARLEY_PASSWORD or --password-file', true)
    .action(async (name: string, o: Where & { passwordFile?: string }) => {
      checkName(name);
      const password = await passwordFor(o.passwordFile, 'no password given: set PARLEY_PASSWORD or use --password-file FILE');
      const db = await open(o);
      const key = foldName(name);
      if (db.store.user(key)) fail(`${name} already exists in ${db.where}`);
      const hash = await hashed(password);
      const user = { key, name, hash, created: Date.now() };
      if (db.claim) {
        if (!(await db.claim(user))) fail(`${name} already exists in ${db.where}`);
      } else db.store.addUser(key, name, hash, user.created);
      await db.close();
      process.stdout.write(`added ${name} to ${db.where}\n`);
    });

  const passwdHelp =
    'set a new password for an account and end every session (token) of it; the password comes from PARLEY_PASSWORD or --password-file, else it is asked twice without echo on a terminal, else read from the first line of stdin';
  accountCommand('passwd', passwdHelp, true)
    .action(async (name: string, o: Where & { passwordFile?: string }) => {
      checkName(name);
      const password = await passwordFor(o.passwordFile, 'no password given: type it, pipe it on stdin, set PARLEY_PASSWORD or use --password-file FILE', () => newPasswordFromStdin(name));
      const db = await open(o);
      const key = foldName(name);
      const user = db.store.user(key);
      if (!user) fail(`there is no account ${name} in ${db.where}`);
      const hash = await hashed(password);
      // In a cluster both changes are journaled: every server applies them.
      db.store.setHash(key, hash);
      const ended = db.store.dropSessionsOf(key);
      await db.close();
      process.stdout.write(`changed the password of ${user.name} in ${db.where}; ended ${ended} ${ended === 1 ? 'session' : 'sessions'}; a running server disconnects ${user.name} within a second\n`);
    });

  accountCommand('remove', 'delete an account with its sessions, blocks and stored whispers')
    .action(async (name: string, o: Where) => {
      checkName(name);
      const db = await open(o);
      const removed = db.store.removeUser(foldName(name));
      await db.close();
      if (!removed) fail(`there is no account ${name} in ${db.where}`);
      process.stdout.write(`removed ${name} from ${db.where}\n`);
    });

  accountCommand('admin', 'make an account a server administrator (moderates every room, may close rooms), or no longer one with --off')
    .option('--off', 'take the administrator role away')
    .action(async (name: string, o: Where & { off?: boolean }) => {
      checkName(name);
      const db = await open(o);
      const done = db.store.setAdmin(foldName(name), !o.off);
      await db.close();
      if (!done) fail(`there is no account ${name} in ${db.where}; create it first with: parley-server user add ${name}`);
      process.stdout.write(o.off ? `${name} is no longer a server administrator\n` : `${name} is now a server administrator\n`);
    });

  program
    .command('list')
    .description('list the accounts, with when each was last seen')
    .option(...dbOption)
    .option(...redisOption)
    .action(async (o: Where) => {
      const db = await open(o);
      const users = db.store.users().map((u) => ({ ...u, admin: db.store.isAdmin(u.key) }));
      await db.close();
      for (const u of users) {
        const seen = u.lastSeen === null ? 'never seen' : 'last seen ' + new Date(u.lastSeen).toISOString();
        process.stdout.write(`${u.name}\t${seen}${u.admin ? '\tadministrator' : ''}\n`);
      }
      if (users.length === 0) process.stdout.write(`no accounts in ${db.where}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    throw err;
  }
}
