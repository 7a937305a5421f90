import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Temporary directories of the tests: made here and removed after each test file (the setup file,
// test/helpers/xdg.ts, runs removeTempDirs in its afterAll, which vitest runs after the file's own), so a
// run of the suite leaves nothing in the OS temp directory.

const made: string[] = [];

/** A new empty directory `prefix`… under the OS temp directory, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Remove every directory tempDir has made since the last call, with everything in it. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
