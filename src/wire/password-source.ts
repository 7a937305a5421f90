import fs from 'node:fs';

// Where a command-line tool gets a password without it ever being on the command line (argv is visible
// to every user of the machine through ps): the PARLEY_PASSWORD environment variable or a file.

export const PASSWORD_ENV = 'PARLEY_PASSWORD';

/**
 * The password from `--password-file FILE` (its first line) or else from PARLEY_PASSWORD; undefined if
 * neither is given. Throws a one-line Error if the file cannot be read or is empty.
 */
export function passwordFromEnvOrFile(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the password file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const first = text.split(/\r?\n/)[0] ?? '';
    if (first === '') throw new Error(`the password file ${file} is empty; put the password on its first line`);
    return first;
  }
  const value = env[PASSWORD_ENV];
  return value === undefined || value === '' ? undefined : value;
}
