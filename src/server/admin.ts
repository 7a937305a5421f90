import { Command, CommanderError } from 'commander';
import { passwordFromEnvOrFile } from '../wire/password-source.js';
import { foldName, nameProblem } from '../wire/names.js';
import { passwordProblem } from './accounts.js';
import { DEFAULT_SCRYPT, PasswordHasher } from './passwords.js';
import { Store, StoreError } from './store.js';

// `parley-server user add|remove|admin|list [NAME]`: account administration on the database file, without a
// running server (SQLite's WAL lets it run beside one). The password comes from PARLEY_PASSWORD or
// --password-file, never from the command line.

export const DEFAULT_DB = './parley.db';

function fail(message: string): never {
  process.stderr.write(`parley-server user: ${message}\n`);
  process.exit(2);
}

function open(db: string): Store {
  try {
    return new Store(db);
  } catch (err) {
    fail(err instanceof StoreError ? err.message : `cannot open ${db}: ${(err as Error).message}`);
  }
}

function checkName(name: string): string {
  const problem = nameProblem(name);
  if (problem !== null) fail(`"${name.slice(0, 40)}" is not a valid name: ${problem}`);
  return name;
}

export async function runAdmin(argv: string[]): Promise<void> {
  const program = new Command()
    .name('parley-server user')
    .description('Manage accounts in the parley database.')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${text.trim().replace(/^error: /, 'parley-server user: ')} (see parley-server user --help)\n`) });
  const dbOption = ['--db <path>', 'the database file', DEFAULT_DB] as const;

  program
    .command('add')
    .description('create an account; the password comes from PARLEY_PASSWORD or --password-file')
    .argument('<name>')
    .option(...dbOption)
    .option('--password-file <file>', 'read the password from the first line of this file')
    .action(async (name: string, o: { db: string; passwordFile?: string }) => {
      checkName(name);
      let password: string | undefined;
      try {
        password = passwordFromEnvOrFile(o.passwordFile);
      } catch (err) {
        fail((err as Error).message);
      }
      if (password === undefined) fail('no password given: set PARLEY_PASSWORD or use --password-file FILE');
      const problem = passwordProblem(password);
      if (problem) fail(problem);
      const store = open(o.db);
      if (store.user(foldName(name))) fail(`${name} already exists in ${o.db}`);
      const hash = await new PasswordHasher(DEFAULT_SCRYPT).hash(password);
      store.addUser(foldName(name), name, hash, Date.now());
      store.close();
      process.stdout.write(`added ${name} to ${o.db}\n`);
    });

  program
    .command('remove')
    .description('delete an account with its sessions, blocks and stored whispers')
    .argument('<name>')
    .option(...dbOption)
    .action((name: string, o: { db: string }) => {
      checkName(name);
      const store = open(o.db);
      const removed = store.removeUser(foldName(name));
      store.close();
      if (!removed) fail(`there is no account ${name} in ${o.db}`);
      process.stdout.write(`removed ${name} from ${o.db}\n`);
    });

  program
    .command('admin')
    .description('make an account a server administrator (moderates every room, may close rooms), or no longer one with --off')
    .argument('<name>')
    .option(...dbOption)
    .option('--off', 'take the administrator role away')
    .action((name: string, o: { db: string; off?: boolean }) => {
      checkName(name);
      const store = open(o.db);
      const done = store.setAdmin(foldName(name), !o.off);
      store.close();
      if (!done) fail(`there is no account ${name} in ${o.db}; create it first with: parley-server user add ${name}`);
      process.stdout.write(o.off ? `${name} is no longer a server administrator\n` : `${name} is now a server administrator\n`);
    });

  program
    .command('list')
    .description('list the accounts, with when each was last seen')
    .option(...dbOption)
    .action((o: { db: string }) => {
      const store = open(o.db);
      const users = store.users().map((u) => ({ ...u, admin: store.isAdmin(u.key) }));
      store.close();
      for (const u of users) {
        const seen = u.lastSeen === null ? 'never seen' : 'last seen ' + new Date(u.lastSeen).toISOString();
        process.stdout.write(`${u.name}\t${seen}${u.admin ? '\tadministrator' : ''}\n`);
      }
      if (users.length === 0) process.stdout.write(`no accounts in ${o.db}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    throw err;
  }
}
