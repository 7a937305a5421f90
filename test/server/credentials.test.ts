import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCredentials, parseCredentials } from '../../src/server/credentials.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import { FAST_SCRYPT, tempDb } from './helpers.js';

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

  it('refuses a new account whose password /register would refuse, naming the line; an existing one still imports', async () => {
    const db = tempDb();
    const file = path.join(path.dirname(db), 'users.txt');
    const store = new Store(db);
    const hasher = new PasswordHasher(FAST_SCRYPT);
    store.addUser('bob', 'bob', await hasher.hash('an old long one'), 0); // imported long ago
    fs.writeFileSync(file, 'alice wonderland\nbob short\n');
    expect(await importCredentials(file, store, hasher, 1)).toEqual({ added: 1, skipped: 1 }); // bob keeps his
    fs.writeFileSync(file, 'carol wonderland\ndave short\n');
    await expect(importCredentials(file, store, hasher, 2)).rejects.toThrow(/users.txt line 2: the password for dave is not accepted: /);
    store.close();
  });

  it('hashes on import, never stores the clear text, and keeps accounts that already exist', async () => {
    const db = tempDb();
    const file = path.join(path.dirname(db), 'users.txt');
    fs.writeFileSync(file, 'alice wonderland\nbob builder1\n');
    const store = new Store(db);
    const hasher = new PasswordHasher(FAST_SCRYPT);
    expect(await importCredentials(file, store, hasher, 1)).toEqual({ added: 2, skipped: 0 });
    const before = store.user('alice')!.hash;
    expect(await hasher.verify('wonderland', before)).toBe(true);
    fs.writeFileSync(file, 'alice changed!\ncarol carol123\n');
    expect(await importCredentials(file, store, hasher, 2)).toEqual({ added: 1, skipped: 1 });
    expect(store.user('alice')!.hash).toBe(before);
    store.close();
    expect(fs.readFileSync(db).includes('wonderland')).toBe(false);
  });
});
