import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT, run } from '../helpers/cli.js';
import { testIdentity } from '../helpers/tls.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { tempDb } from '../server/helpers.js';

// A run of the suite left thousands of directories in /tmp (parley-xdg-…, parley-test-…, parley-tls-…: a
// full run made ~600): the shared helpers made them and nothing removed them. They are now made by
// tempDir (test/helpers/tmp.ts) and removed when the test file ends. Here the helpers work in a temp
// directory of this test's own (TMPDIR), so what they leave is exactly what is in it.

const savedTmp = process.env.TMPDIR;
let own = '';
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  fs.rmSync(own, { recursive: true, force: true });
});

describe("the test helpers' temporary directories", () => {
  it('are all removed at the end of a test file: a database, a TLS identity, a run of the client', async () => {
    own = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-tmpdir-'));
    process.env.TMPDIR = own;
    expect(os.tmpdir()).toBe(own);
    tempDb();
    await testIdentity();
    const client = run(CLIENT, ['--help']);
    expect(await client.exit).toBe(0);
    expect(fs.readdirSync(own).map((d) => d.replace(/-[^-]*$/, '-')).sort()).toEqual(['parley-test-', 'parley-tls-', 'parley-xdg-']);
    removeTempDirs(); // what the setup file's afterAll does
    expect(fs.readdirSync(own)).toEqual([]);
  });
});
