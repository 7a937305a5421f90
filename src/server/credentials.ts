import { passwordProblem } from './accounts.js';
import fs from 'node:fs';
import { nameProblem, foldName } from '../wire/names.js';
import type { PasswordHasher } from './passwords.js';
import type { Store } from './store.js';

// Importing the plain "name password" files of the older systems. Passwords are hashed on import and the
// file's text never reaches the database. Names already registered keep their stored password: the file is
// a seed, and a user who changed theirs since must not be reset by a restart.

export interface CredentialLine {
  line: number;
  name: string;
  password: string;
}

/** One entry per line `name password` (the password is the rest of the line); blank and `#` lines skipped. */
export function parseCredentials(text: string, file: string): CredentialLine[] {
  const out: CredentialLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const m = /^(\S+)\s+(.+)$/.exec(raw);
    if (!m) throw new Error(`${file} line ${i + 1}: expected "name password"`);
    const problem = nameProblem(m[1]!);
    if (problem !== null) throw new Error(`${file} line ${i + 1}: "${m[1]!.slice(0, 40)}" is not a valid name: ${problem}`);
    out.push({ line: i + 1, name: m[1]!, password: m[2]! });
  }
  return out;
}

/** Adds the accounts of `file` that do not exist yet. Returns how many were added and skipped. */
export async function importCredentials(file: string, store: Store, hasher: PasswordHasher, now: number): Promise<{ added: number; skipped: number }> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const entries = parseCredentials(text, file);
  const fresh = entries.filter((e) => store.user(foldName(e.name)) === undefined);
  // The same rule as /register and `user add` for accounts this import creates: an imported account is as
  // exposed as any other. Names already in the database keep their password, so an old file still starts.
  for (const e of fresh) {
    const weak = passwordProblem(e.password);
    if (weak !== null) throw new Error(`${file} line ${e.line}: the password for ${e.name} is not accepted: ${weak}`);
  }
  // Hash at the hasher's own concurrency; its queue holds the rest.
  const hashes = await Promise.all(fresh.map((e) => hasher.hash(e.password)));
  let added = 0;
  fresh.forEach((e, i) => {
    if (store.addUser(foldName(e.name), e.name, hashes[i]!, now)) added++;
  });
  return { added, skipped: entries.length - added };
}
