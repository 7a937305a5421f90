import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { tempDir } from '../helpers/tmp.js';

// Issue 12, item 16: the conformance checker, run as a person would (npm run conformance -- HOST PORT runs
// dist/conformance/main.js), against a real parley-server process. Every MUST it checks must pass.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'dist/server/main.js');
const CHECKER = path.join(ROOT, 'dist/conformance/main.js');

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGTERM');
});

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHECKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe.skipIf(!fs.existsSync(SERVER) || !fs.existsSync(CHECKER))('npm run conformance', () => {
  it('passes every check against parley-server', { timeout: 180_000 }, async () => {
    const dir = tempDir('parley-conformance-');
    // A cheaper scrypt than the default keeps the run short; the checks of password handling still wait on real hashes.
    // The checker opens dozens of connections from one address in seconds: --max-per-ip 0 lifts the per-address
    // connection cap and rates (an operator's setting, not a protocol rule), as for the benchmark.
    const server = spawn(process.execPath, [SERVER, '0', '--db', path.join(dir, 'p.db'), '--log', path.join(dir, 'server.log'), '--scrypt-n', '16384', '--max-per-ip', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    let banner = '';
    server.stdout!.on('data', (d: Buffer) => (banner += d.toString()));
    await until(() => /listening on [\d.]+:\d+/.test(banner), 15_000, 'the server listening');
    const port = /listening on [\d.]+:(\d+)/.exec(banner)![1]!;
    const result = await run(['127.0.0.1', port]);
    const summary = result.out.trim().split('\n').at(-1)!;
    const failures = result.out.split('\n').filter((l) => l.startsWith('FAIL') || l.startsWith('     '));
    expect(failures, result.out).toEqual([]);
    expect(summary).toMatch(/^\d+ passed, 0 failed$/);
    expect(Number(/^(\d+)/.exec(summary)![1])).toBeGreaterThanOrEqual(45);
    expect(result.code).toBe(0);
  });

  it('says in one line when there is no server, and exits 2', async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const result = await run(['127.0.0.1', String(port)]);
    expect(result).toMatchObject({ code: 2, out: '', err: `conformance: cannot connect to 127.0.0.1:${port}: ECONNREFUSED; is the server running?\n` });
    expect(await run([])).toMatchObject({ code: 2, err: 'usage: npm run conformance -- HOST PORT   (checks the parley server at HOST:PORT)\n' });
  });
});
