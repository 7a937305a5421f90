import { passwordProblem } from './accounts.js';
import fs from 'node:fs';
import { nameProblem, foldName } from '../wire/names.js';
import type { PasswordHasher } from './passwords.js';
import type { Store } from './store.js';

// Importing the plain "name password" files of other chat servers (course projects use this format, with
// passwords such as `falcon`). Passwords are hashed on import and the file's text never reaches the
// database. A password that breaks today's rule is imported anyway — refusing the file would lock its users
// out — and the account is marked to choose a new password at its next login; the caller warns once per
// such account. Names already registered keep their stored password: the file is a seed, and a user who
// changed theirs since must not be reset by a restart.

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

/** An imported account whose password does not meet the rule: where it is, and why (never the password). */
export interface WeakCredential {
  line: number;
  name: string;
  problem: string;
}

export interface ImportResult {
  added: number;
  skipped: number;
  /** Accounts added with a weak password, marked to choose a new one at their next login. */
  weak: WeakCredential[];
}

/** Adds the accounts of `file` that do not exist yet. Throws with a one-line reason on an unreadable file or line. */
export async function importCredentials(file: string, store: Store, hasher: PasswordHasher, now: number): Promise<ImportResult> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const entries = parseCredentials(text, file);
  const fresh = entries.filter((e) => store.user(foldName(e.name)) === undefined);
  const problems = fresh.map((e) => passwordProblem(e.password));
  // Hash at the hasher's own concurrency; its queue holds the rest.
  const hashes = await Promise.all(fresh.map((e) => hasher.hash(e.password)));
  let added = 0;
  const weak: WeakCredential[] = [];
  fresh.forEach((e, i) => {
    const problem = problems[i]!;
    if (!store.addUser(foldName(e.name), e.name, hashes[i]!, now, problem !== null)) return;
    added++;
    if (problem !== null) weak.push({ line: e.line, name: e.name, problem });
  });
  return { added, skipped: entries.length - added, weak };
}
