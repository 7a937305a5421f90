import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCredentials, parseCredentials } from '../../src/server/credentials.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import { until } from '../helpers/until.js';
import { FAST_SCRYPT, tempDb } from './helpers.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/server/main.js');

describe('credentials files', () => {
  it('reads "name password" lines, the password being the rest of the line', () => {
    expect(parseCredentials('# seed\nalice wonderland\n\nbob two words\r\n', 'f')).toEqual([
      { line: 2, name: 'alice', password: 'wonderland' },
      { line: 4, name: 'bob', password: 'two words' },
    ]);
  });

  it('names the file and line of a bad entry', () => {
    expect(() => parseCredentials('alice\n', 'users.txt')).toThrow('users.txt line 1: expected "name password"');
    expect(() => parseCredentials('ok password1\nbad/name password1\n', 'users.txt')).toThrow(/users.txt line 2: "bad\/name" is not a valid name/);
  });

  it('imports the weak passwords of other systems, marks those accounts and names each once; an existing one keeps its own', async () => {
    const db = tempDb();
    const file = path.join(path.dirname(db), 'users.txt');
    const store = new Store(db);
    const hasher = new PasswordHasher(FAST_SCRYPT);
    store.addUser('bob', 'bob', await hasher.hash('an old long one'), 0); // imported long ago
    fs.writeFileSync(file, 'alice falcon\nbob wise\ncarol wonderland\ndave wise\nerin ' + 'x'.repeat(300) + '\n');
    const result = await importCredentials(file, store, hasher, 1);
    expect(result).toEqual({
      added: 4,
      skipped: 1,
      weak: [
        { line: 1, name: 'alice', problem: 'a password needs at least 8 characters' },
        { line: 4, name: 'dave', problem: 'a password needs at least 8 characters' },
        { line: 5, name: 'erin', problem: 'a password has at most 256 characters' },
      ],
    });
    expect(await hasher.verify('falcon', store.user('alice')!.hash)).toBe(true);
    expect([store.user('alice')!.mustChange, store.user('carol')!.mustChange, store.user('bob')!.mustChange]).toEqual([true, false, false]);
    store.setHash('alice', await hasher.hash('a much better one'));
    expect(store.user('alice')!.mustChange).toBe(false);
    store.close();
  });

  it('hashes on import, never stores the clear text, and keeps accounts that already exist', async () => {
    const db = tempDb();
    const file = path.join(path.dirname(db), 'users.txt');
    fs.writeFileSync(file, 'alice wonderland\nbob builder1\n');
    const store = new Store(db);
    const hasher = new PasswordHasher(FAST_SCRYPT);
    expect(await importCredentials(file, store, hasher, 1)).toEqual({ added: 2, skipped: 0, weak: [] });
    const before = store.user('alice')!.hash;
    expect(await hasher.verify('wonderland', before)).toBe(true);
    fs.writeFileSync(file, 'alice changed!\ncarol carol123\n');
    expect(await importCredentials(file, store, hasher, 2)).toEqual({ added: 1, skipped: 1, weak: [] });
    expect(store.user('alice')!.hash).toBe(before);
    store.close();
    expect(fs.readFileSync(db).includes('wonderland')).toBe(false);
  });
});

describe.skipIf(!fs.existsSync(MAIN))('parley-server --credentials with weak passwords', () => {
  it('starts, and warns once per weak password on stderr and in the log, never showing the password', async () => {
    const db = tempDb();
    const dir = path.dirname(db);
    const file = path.join(dir, 'users.txt');
    const log = path.join(dir, 'server.log');
    fs.writeFileSync(file, 'alice falcon\nbob wise\ncarol wonderland\n');
    const child = spawn(process.execPath, [MAIN, '0', '--db', db, '--log', log, '--credentials', file, '--scrypt-n', '1024'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      // Wait until it listens: a SIGTERM during start-up (the TLS key is made then) comes before the handler that flushes the log.
      await until(() => out.includes('listening'), 10_000);
      expect(out).toContain(`imported 3 account(s) from ${file}`);
      const warnings = err.split('\n').filter((l) => l.includes('warning'));
      expect(warnings).toEqual([
        `parley-server: warning: ${file} line 1: the password of alice is weak (a password needs at least 8 characters); alice will be asked for a new one at next login`,
        `parley-server: warning: ${file} line 2: the password of bob is weak (a password needs at least 8 characters); bob will be asked for a new one at next login`,
      ]);
      expect(err).not.toMatch(/falcon|wise/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const logged = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(' credentials_weak '));
    expect(logged.map((l) => /name=(\w+)/.exec(l)![1])).toEqual(['alice', 'bob']);
    expect(logged.join('\n')).not.toMatch(/falcon|wise/);
  });
});
