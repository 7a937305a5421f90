import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CLIENT, serverForFile } from '../helpers/cli.js';

// Issue 15, target 7: the client people run is the `parley` bin, started by the kernel through its shebang
// line (npm links the bin; the kernel runs the interpreter line with the script's path). The line starts
// node in V8's lite mode, the client's memory budget; these run the bin exactly that way (on Linux the rest
// of the line after the interpreter is one argument, which `env -S` splits) and look at what a person sees.

const server = serverForFile('parley-bin-');
const dir = server.dir;

/** The bin's `#!` line as the kernel splits it: the interpreter and at most one argument. */
function shebang(): { interpreter: string; arg?: string } {
  const line = readFileSync(CLIENT, 'utf8').split('\n', 1)[0]!;
  expect(line.startsWith('#!')).toBe(true);
  const [interpreter, ...rest] = line.slice(2).trim().split(/\s+/);
  return rest.length > 0 ? { interpreter: interpreter!, arg: rest.join(' ') } : { interpreter: interpreter! };
}

/** argv of a running process, from /proc. */
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');

const env = () => ({ ...process.env, XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: path.join(dir, 'data'), TZ: 'UTC' });

describe('the parley bin as npm links it', () => {
  test('line mode through the shebang: node runs in lite mode, stdout is the welcome alone and stderr says nothing (no V8 warning)', async () => {
    const { interpreter, arg } = shebang();
    const child = spawn(interpreter, [...(arg === undefined ? [] : [arg]), CLIENT, '--json', 'binwatcher', '127.0.0.1', String(server.port)], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let argv: string[] = [];
    child.stdout.on('data', (d: Buffer) => {
      // The first output: the process is node by now (env exec'd it), still running.
      if (argv.length === 0) argv = cmdline(child.pid!);
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(argv).toContain('--lite-mode');
    expect(code).toBe(0);
    expect(err).toBe('');
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; name?: string });
    expect(events[0]).toMatchObject({ event: 'welcome', name: 'binwatcher' });
  });

  test('an unreachable server through the shebang: one line on stderr, nothing from V8 (lite mode turns WebAssembly off; it must not say so)', async () => {
    const { interpreter, arg } = shebang();
    const child = spawn(interpreter, [...(arg === undefined ? [] : [arg]), CLIENT, '--json', 'binwatcher', '127.0.0.1', '1'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(3);
    expect(err).toMatch(/^parley: cannot connect to 127\.0\.0\.1:1: [^\n]*\n$/);
  });

  test('the full screen through the shebang: node runs in lite mode, draws the room with the welcome, and quits with 0', async () => {
    const { interpreter, arg } = shebang();
    const file = path.join(dir, 'screen.log');
    const command = [interpreter, ...(arg === undefined ? [] : [`'${arg}'`]), CLIENT, 'binperson', '127.0.0.1', String(server.port)].join(' ');
    const script = spawn('script', ['-q', '-f', '-e', '-c', `stty cols 80 rows 24; exec ${command}`, file], { env: { ...env(), TERM: 'xterm-256color', TMUX: '' } });
    const exit = new Promise<number | null>((resolve) => script.on('exit', resolve));
    const recorded = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    const deadline = Date.now() + 15_000;
    // Up: bracketed paste turned on, the server's welcome drawn in the room.
    while (!recorded().includes('\x1b[?2004h') || !recorded().includes('Welcome to parley.')) {
      if (Date.now() > deadline) throw new Error(`the client did not draw its screen: ${JSON.stringify(recorded().slice(-400))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const client = Number(readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    expect(cmdline(client)).toContain('--lite-mode');
    script.stdin.write('/quit\r');
    expect(await exit).toBe(0);
    expect(recorded()).not.toMatch(/Warning|Error/);
  });
});
