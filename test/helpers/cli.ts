import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { tempDir } from './tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLIENT = path.join(ROOT, 'dist/tui/main.js');
export const SERVER = path.join(ROOT, 'dist/server/main.js');

/**
 * For a file of tests that run the real client: an in-process server on a free port and a temporary
 * directory named `prefix`…, both for the whole file (started in beforeAll, closed and removed in afterAll).
 */
export function serverForFile(prefix: string): { readonly dir: string; readonly port: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    get port(): number {
      return server!.port;
    },
  };
}

export interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout has a line matching `pattern`. */
  waitFor: (pattern: RegExp, ms?: number) => Promise<string>;
  exit: Promise<number | null>;
}

/** Start a built binary (npm test builds first) with pipes for stdin, stdout and stderr. */
export function run(script: string, args: string[], env: Record<string, string> = {}): Run {
  // The person's own config and logs stay out of tests: each run gets empty XDG directories unless given some.
  const home = tempDir('parley-xdg-');
  const xdg = { XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data') };
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, TZ: 'UTC', ...xdg, ...env }, stdio: 'pipe' });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    async waitFor(pattern, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const line = out.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in stdout:\n${out}\nstderr:\n${err}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 50);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}

/** The real parley-server on a free port, with its log in a temp dir. */
export async function serverProcess(args: string[] = [], startMs = 5000, env: Record<string, string> = {}): Promise<Run & { port: number; pid: number; logFile: string }> {
  const logFile = path.join(tempDir('parley-srv-'), 'server.log');
  const r = run(SERVER, ['0', '--log', logFile, '--db', path.join(path.dirname(logFile), 'parley.db'), ...args], env);
  const line = await r.waitFor(/^parley-server listening on /, startMs);
  return { ...r, port: Number(/:(\d+);/.exec(line)![1]), pid: r.child.pid!, logFile };
}
