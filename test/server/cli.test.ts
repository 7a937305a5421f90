import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import { tempDb } from './helpers.js';

// parley-server's account commands and startup errors, run as a person would (dist/, built by tsc first).

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/server/main.js');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, PARLEY_PASSWORD: '', ...env }, timeout: 15_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!fs.existsSync(MAIN))('parley-server user and startup', () => {
  it('adds, lists and removes accounts; the password comes from the environment or a file, never argv', async () => {
    const db = tempDb();
    expect(run(['user', 'add', 'alice', '--db', db])).toMatchObject({ code: 2, err: 'parley-server user: no password given: set PARLEY_PASSWORD or use --password-file FILE\n' });
    expect(run(['user', 'add', 'alice', '--db', db], { PARLEY_PASSWORD: 'wonderland' })).toMatchObject({ code: 0, out: `added alice to ${db}\n` });
    const file = path.join(path.dirname(db), 'pw');
    fs.writeFileSync(file, 'builder123\n');
    expect(run(['user', 'add', 'Bob', '--db', db, '--password-file', file]).code).toBe(0);
    expect(run(['user', 'add', 'alice', '--db', db], { PARLEY_PASSWORD: 'wonderland' })).toMatchObject({ code: 2, err: `parley-server user: alice already exists in ${db}\n` });
    const list = run(['user', 'list', '--db', db]);
    expect(list.out.split('\n').map((l) => l.split('\t')[0])).toEqual(['alice', 'Bob', '']);
    // Real cost by default, and the password checks.
    const store = new Store(db);
    const hash = store.user('bob')!.hash;
    store.close();
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await new PasswordHasher().verify('builder123', hash)).toBe(true);
    expect(run(['user', 'remove', 'bob', '--db', db])).toMatchObject({ code: 0, out: `removed bob from ${db}\n` });
    expect(run(['user', 'remove', 'bob', '--db', db])).toMatchObject({ code: 2, err: `parley-server user: there is no account bob in ${db}\n` });
  });

  it('says in one line that the database cannot be used, at startup', () => {
    const r = run(['0', '--db', '/nonexistent-dir/parley.db', '--log', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('parley-server: cannot use the database /nonexistent-dir/parley.db: the directory /nonexistent-dir does not exist (pick another file with --db PATH)\n');
    const notDb = path.join(path.dirname(tempDb()), 'junk.db');
    fs.writeFileSync(notDb, 'this is not a database, just text that is long enough to be a header'.repeat(20));
    const junk = run(['0', '--db', notDb, '--log', '/dev/null']);
    expect(junk.code).toBe(2);
    expect(junk.err).toMatch(/^parley-server: cannot use the database .*junk\.db: file is not a database \(pick another file with --db PATH\)\n$/);
  });

  it('makes an account a server administrator and back; refuses a name without an account; checks --default-room', () => {
    const db = tempDb();
    expect(run(['user', 'admin', 'alice', '--db', db])).toMatchObject({
      code: 2,
      err: `parley-server user: there is no account alice in ${db}; create it first with: parley-server user add alice\n`,
    });
    expect(run(['user', 'add', 'alice', '--db', db], { PARLEY_PASSWORD: 'wonderland' }).code).toBe(0);
    expect(run(['user', 'admin', 'Alice', '--db', db])).toMatchObject({ code: 0, out: 'Alice is now a server administrator\n' });
    expect(run(['user', 'list', '--db', db]).out).toMatch(/^alice\tnever seen\tadministrator\n$/);
    let store = new Store(db);
    expect(store.isAdmin('alice')).toBe(true);
    store.close();
    expect(run(['user', 'admin', 'alice', '--off', '--db', db])).toMatchObject({ code: 0, out: 'alice is no longer a server administrator\n' });
    store = new Store(db);
    expect(store.isAdmin('alice')).toBe(false);
    store.close();
    expect(run(['--default-room', 'main']).err).toBe("parley-server: option '--default-room <#name>' argument 'main' is invalid. a room name starts with #. (see parley-server --help)\n");
  });

  it('rejects bad account flags with a one-line error', () => {
    expect(run(['--auth', 'maybe']).err).toBe("parley-server: option '--auth <mode>' argument 'maybe' is invalid. choose one of off, optional, required. (see parley-server --help)\n");
    const creds = path.join(path.dirname(tempDb()), 'users.txt');
    fs.writeFileSync(creds, 'alice\n');
    const r = run(['0', '--db', tempDb(), '--log', '/dev/null', '--credentials', creds]);
    expect(r).toMatchObject({ code: 2, err: `parley-server: ${creds} line 1: expected "name password"\n` });
  });
});
