import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CLIENT, serverForFile } from '../helpers/cli.js';

// Issue 11, item 15: every way out of the full-screen client gives the terminal back. The real client
// runs on a pseudo-terminal under `script` (util-linux), which records every byte it writes; after the
// last time the client turned bracketed paste on, the record must leave the alternate screen, show the
// cursor and turn bracketed paste off (else the shell's next paste prints ^[[200~).

const server = serverForFile('parley-exits-');
const dir = server.dir;

interface Run {
  script: ChildProcessWithoutNullStreams;
  file: string;
  exit: Promise<number | null>;
  /** The client's own pid (script's child). */
  pid(): number;
  recorded(): string;
}

let n = 0;
/** The temporary directory of the client run recording to `file`. */
function tmpOf(file: string): string {
  mkdirSync(`${file}.tmp`, { recursive: true });
  return `${file}.tmp`;
}
/** The client on a 80x24 pseudo-terminal; `preload` is an ES module run before it (to inject a fault). */
async function start(name: string, preload?: string): Promise<Run> {
  const file = path.join(dir, `run-${++n}.log`);
  let node = `node ${CLIENT}`;
  if (preload !== undefined) {
    writeFileSync(`${file}.mjs`, preload);
    node = `node --import ${file}.mjs ${CLIENT}`;
  }
  const script = spawn('script', ['-q', '-f', '-e', '-c', `stty cols 80 rows 24; exec ${node} ${name} 127.0.0.1 ${server.port}`, file], {
    // Its own temporary directory: where a crash log would go.
    env: { ...process.env, TERM: 'xterm-256color', TMUX: '', TMPDIR: tmpOf(file) },
  });
  const exit = new Promise<number | null>((resolve) => script.on('exit', (code) => resolve(code)));
  const run: Run = {
    script,
    file,
    exit,
    pid() {
      const kids = readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'utf8').trim().split(/\s+/);
      return Number(kids[0]);
    },
    recorded: () => (existsSync(file) ? readFileSync(file, 'latin1') : ''),
  };
  // Up: the client has drawn its screen and turned bracketed paste on.
  const deadline = Date.now() + 15_000;
  while (!run.recorded().includes('\x1b[?2004h') || !run.recorded().includes('Room')) {
    if (Date.now() > deadline) throw new Error(`the client did not start: ${JSON.stringify(run.recorded().slice(-400))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return run;
}

/** What the client wrote after it last turned bracketed paste on. */
function tail(run: Run): string {
  const all = run.recorded();
  return all.slice(all.lastIndexOf('\x1b[?2004h'));
}

function expectRestored(run: Run): void {
  const after = tail(run);
  expect(after, 'bracketed paste off').toContain('\x1b[?2004l');
  expect(after, 'alternate screen left').toContain('\x1b[?1049l');
  expect(after.lastIndexOf('\x1b[?25h'), 'cursor shown after the last hide').toBeGreaterThan(after.lastIndexOf('\x1b[?25l'));
}

describe('the terminal is restored on every way out (item 15)', () => {
  const keys: Record<string, string> = { F10: '\x1b[21~', 'Ctrl+C': '\x03', '/quit': '/quit\r' };
  for (const [way, bytes] of Object.entries(keys)) {
    test(`${way}: exit 0, alternate screen left, cursor shown, bracketed paste off`, async () => {
      const run = await start(`k${n}`);
      run.script.stdin.write(bytes);
      expect(await run.exit).toBe(0);
      expectRestored(run);
    });
  }

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'] as const) {
    test(`${signal}: alternate screen left, cursor shown, bracketed paste off`, async () => {
      const run = await start(`s${n}`);
      process.kill(run.pid(), signal);
      await run.exit;
      expectRestored(run);
    });
  }

  test('the terminal goes away (its window closed): the client leaves as on SIGHUP, without a crash log', async () => {
    const run = await start(`g${n}`);
    const pid = run.pid();
    run.script.kill('SIGKILL'); // the pseudo-terminal's other end closes: SIGHUP, and EIO on every read and write
    // Exited: gone, or a zombie waiting for whoever adopted it to reap it.
    const running = (): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 10_000;
    while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(running(), 'the client has exited').toBe(false);
    expect(readdirSync(tmpOf(run.file)).filter((f) => f.startsWith('parley-crash-'))).toEqual([]);
  });

  test('an uncaught error: exit 1, one line saying where the details are, terminal restored', async () => {
    // The fault is thrown when the test says so (SIGUSR2), once the screen is up, however slow the start.
    const run = await start(`e${n}`, "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('injected fault') }))");
    process.kill(run.pid(), 'SIGUSR2');
    expect(await run.exit).toBe(1);
    expectRestored(run);
    expect(tail(run)).toMatch(/parley: unexpected error: injected fault \(details in [^)]+\)/);
  });
});
