import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { CONSOLE_FLUSH_MS } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';
import { serverProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// What one join costs on the wire (issue 15, target 5): the bytes and frames a joiner receives, counted, never
// timed. Joining a room of N sends the joiner its N members; that is O(N) bytes per join, so it must be sent
// once: a version-2 client that said hello with `usersOnce` takes them from the default room's `room` frame
// and its welcome leaves them out (PROTOCOL.md §15.3). Version 1 and version 2 without it are unchanged.

let server: RunningServer;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
});

const MEMBERS = 60;

/** A room of MEMBERS people (version 1: their own joins cost nothing to count here). */
async function busyRoom(): Promise<string[]> {
  server = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0 });
  const names = Array.from({ length: MEMBERS }, (_, i) => `member${String(i).padStart(2, '0')}`);
  for (const name of names) clients.push(await RawClient.join(server.port, name));
  return names;
}

/** Every byte a new client receives after `hello`, up to the answer of a ping sent after it (so: the whole login). */
async function login(hello: object): Promise<{ bytes: string; frames: ServerMessage[] }> {
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  let bytes = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      bytes += chunk.toString('utf8');
      if (bytes.includes('"type":"pong"')) resolve();
    });
    socket.write(JSON.stringify(hello) + '\n' + JSON.stringify({ type: 'ping', token: 'end' }) + '\n');
  });
  socket.destroy();
  const frames = bytes
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ServerMessage);
  return { bytes, frames };
}

/** How often each of `names` appears (as a JSON string) in `bytes`: once per list that carries it. */
function listings(bytes: string, names: string[]): Set<number> {
  return new Set(names.map((n) => bytes.split(`"${n}"`).length - 1));
}

describe('the member list a joiner receives', () => {
  it('comes once to a version-2 client that said usersOnce: in the room frame, not in the welcome too', async () => {
    const names = await busyRoom();
    const { bytes, frames } = await login({ type: 'hello', name: 'newcomer', version: 2, grouped: true, usersOnce: true });
    expect(listings(bytes, names)).toEqual(new Set([1]));
    const welcome = frames.find((f) => f.type === 'welcome');
    expect(welcome).toBeDefined();
    expect(welcome).not.toHaveProperty('users');
    expect(welcome).not.toHaveProperty('away');
    const room = frames.find((f) => f.type === 'room');
    expect(room?.type === 'room' && room.users).toEqual([...names, 'newcomer']);
    // The room frame comes right after the welcome: the client shows the welcome with its members then.
    expect(frames.map((f) => f.type).slice(0, 2)).toEqual(['welcome', 'room']);
    // The login is the list once plus a bounded rest, not twice the list.
    const list = Buffer.byteLength(JSON.stringify(room?.type === 'room' ? room.users : []));
    expect(Buffer.byteLength(bytes)).toBeLessThan(list + 2048);
  });

  it('still comes in the welcome to version 1 (which has no room frame) and to version 2 without usersOnce', async () => {
    const names = await busyRoom();
    const v1 = await login({ type: 'hello', name: 'oldie', version: 1 });
    expect(listings(v1.bytes, names)).toEqual(new Set([1]));
    expect(v1.frames.find((f) => f.type === 'welcome')).toMatchObject({ users: [...names, 'oldie'] });
    // A version-2 client of before (it requires welcome.users) gets both, as it always did.
    const v2 = await login({ type: 'hello', name: 'older', version: 2, grouped: true });
    expect(listings(v2.bytes, names)).toEqual(new Set([2]));
    expect(v2.frames.find((f) => f.type === 'welcome')).toMatchObject({ users: [...names, 'older'] });
  });

});

/** A preload that counts the server's process.stdout.write calls into a file (test/helpers/count-stdout-writes.cjs). */
const COUNT_WRITES = path.join(import.meta.dirname, '../helpers/count-stdout-writes.cjs');

describe('what a join storm costs the server process (issue 15, target 6)', () => {
  it('writes the console lines of connections that come at once in a few writes, not one write() per line', async () => {
    const counter = path.join(tempDir('parley-writes-'), 'count');
    const writes = (): number => Number(fs.existsSync(counter) ? fs.readFileSync(counter, 'utf8') : 0);
    // As the bench runs it: many connections from one address are expected.
    const server = await serverProcess(['--no-rate-limit', '--max-per-ip', '0'], 5000, {
      NODE_OPTIONS: `--require ${COUNT_WRITES}`,
      PARLEY_TEST_STDOUT_WRITES: counter,
    });
    onTestFinished(() => void server.child.kill('SIGKILL'));
    // Its start-up lines are all out (the last says how to connect) before it is stopped.
    await server.waitFor(/^connect with: /);
    // 40 connections wait in the kernel's listen queue while the server is stopped, so that it finds them all
    // at once, as in a join storm; silent ones: the server writes nothing to them, only its console and log.
    process.kill(server.pid, 'SIGSTOP');
    onTestFinished(() => void process.kill(server.pid, 'SIGCONT'));
    const before = writes();
    expect(before, 'the preload counts the listening line').toBeGreaterThan(0);
    const sockets = await Promise.all(
      Array.from({ length: 40 }, () => new Promise<net.Socket>((resolve, reject) => net.connect({ host: '127.0.0.1', port: server.port }).once('connect', function (this: net.Socket) { resolve(this); }).once('error', reject))),
    );
    onTestFinished(() => sockets.forEach((s) => s.destroy()));
    const resumed = Date.now();
    process.kill(server.pid, 'SIGCONT');
    for (const s of sockets) await server.waitFor(new RegExp(`^connect 127\\.0\\.0\\.1:${s.localPort} `));
    // How many console flushes the accepts can have spanned: on a busy machine the 40 accepts take longer
    // than one CONSOLE_FLUSH_MS, and each window ends in one write.
    const windows = Math.ceil((Date.now() - resumed) / CONSOLE_FLUSH_MS) + 1;
    // Every line is there, each once, as before.
    expect(server.stdout().split('\n').filter((l) => l.startsWith('connect 127.0.0.1:')).length).toBe(40);
    // A few writes, not one per line: Node accepts one connection per event-loop turn, so nothing per turn
    // would batch them. The bound is 10 when the accepts came within a flush or two, and stays under 40
    // unless the machine stretched them over more than ~1.8 s.
    expect(writes() - before).toBeLessThan(Math.min(40, Math.max(10, windows + 2)));
  });
});
