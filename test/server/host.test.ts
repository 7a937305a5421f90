import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/host.js';
import { EventLog } from '../../src/server/log.js';
import { MAX_DISCARD_BYTES, MAX_FRAME_BYTES } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../helpers/tmp.js';

let server: RunningServer;
let clients: RawClient[] = [];
let logFile: string;
let eventLog: EventLog;

async function start(options: ServerOptions = {}) {
  logFile = path.join(tempDir('parley-host-'), 'server.log');
  eventLog = new EventLog(logFile);
  server = await startServer({ port: 0, log: eventLog.write, ...options });
}

async function join(name: string) {
  const c = await RawClient.join(server.port, name);
  clients.push(c);
  return c;
}

function readLog(): string {
  eventLog.flushSync();
  return fs.readFileSync(logFile, 'utf8');
}

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await server.close();
  eventLog.close();
});

describe('three people in one room', () => {
  it('chat, whisper, rename and list over real sockets', async () => {
    await start({ logMessages: true }); // room messages are logged only when asked (hub.test.ts)
    const alice = await join('alice');
    const bob = await join('bob');
    const carol = await join('carol');
    expect(await alice.next((m) => m.type === 'joined')).toMatchObject({ name: 'bob' });

    alice.send({ type: 'say', text: 'hello all', ref: 'a1' });
    for (const c of [bob, carol]) expect(await c.next((m) => m.type === 'message')).toMatchObject({ from: 'alice', text: 'hello all' });
    expect(await alice.next((m) => m.type === 'message')).toMatchObject({ from: 'alice', text: 'hello all', ref: 'a1' });

    bob.send({ type: 'whisper', to: 'alice', text: 'psst' });
    expect(await alice.next((m) => m.type === 'whisper')).toMatchObject({ from: 'bob', to: 'alice', text: 'psst' });
    expect(await bob.next((m) => m.type === 'whisper')).toMatchObject({ from: 'bob', to: 'alice' });

    carol.send({ type: 'nick', name: 'caroline' });
    expect(await alice.next((m) => m.type === 'renamed')).toMatchObject({ old: 'carol', new: 'caroline' });
    alice.send({ type: 'list', ref: 'l' });
    expect(await alice.next((m) => m.type === 'users')).toEqual({ type: 'users', users: ['alice', 'bob', 'caroline'], ref: 'l' });

    // carol saw everything but the whisper
    await carol.next((m) => m.type === 'renamed');
    expect(carol.all('whisper')).toEqual([]);

    const log = readLog();
    for (const line of ['connect conn=', 'join conn=1 name=alice', 'message conn=1 from=alice id=1 text="hello all"', 'whisper conn=2 from=bob to=alice', 'rename conn=3 old=carol new=caroline']) {
      expect(log).toContain(line);
    }
    expect(log).not.toContain('psst');
  });

  it('tells the others when a client vanishes without quit', async () => {
    await start();
    const alice = await join('alice');
    const bob = await join('bob');
    bob.socket.resetAndDestroy();
    expect(await alice.next((m) => m.type === 'left')).toMatchObject({ name: 'bob', reason: 'lost' });
    await new Promise((r) => setTimeout(r, 100));
    expect(alice.all('left')).toEqual([]); // exactly one notice
    expect(readLog()).toMatch(/leave conn=2 .*name=bob reason="connection lost"/);
  });

  it('says goodbye to everyone when the server shuts down', async () => {
    await start();
    const alice = await join('alice');
    const closing = server.close('maintenance');
    expect(await alice.next((m) => m.type === 'shutdown')).toEqual({ type: 'shutdown', reason: 'maintenance' });
    await alice.closed;
    await closing;
    server = await startServer({ port: 0 }); // afterEach closes something
  });
});

describe('bad input harms no one else', () => {
  it('answers garbage, oversize and pre-hello frames with errors; the room goes on', async () => {
    await start();
    const alice = await join('alice');
    const stranger = await RawClient.connect(server.port);
    clients.push(stranger);
    stranger.send({ type: 'say', text: 'let me in' });
    expect(await stranger.next()).toMatchObject({ type: 'error', code: 'not_registered' });
    stranger.raw('this is not json\n');
    expect(await stranger.next()).toMatchObject({ code: 'malformed_json' });
    stranger.raw(Buffer.from([0xff, 0xfe, 0x0a]));
    expect(await stranger.next()).toMatchObject({ code: 'invalid_utf8' });
    stranger.raw('x'.repeat(MAX_FRAME_BYTES + 10) + '\n');
    expect(await stranger.next()).toMatchObject({ code: 'frame_too_large' });
    stranger.send({ type: 'hello', name: 'mallory', version: 1 });
    expect(await stranger.next()).toMatchObject({ type: 'welcome', name: 'mallory' });

    alice.send({ type: 'say', text: 'still here' });
    expect(await stranger.next((m) => m.type === 'message')).toMatchObject({ text: 'still here' });
    expect(alice.all('error')).toEqual([]);
  });

  it('closes a connection that sends a megabyte with no newline, without buffering it', async () => {
    await start();
    const alice = await join('alice');
    const blob = await RawClient.connect(server.port);
    clients.push(blob);
    blob.raw(Buffer.alloc(1024 * 1024, 0x41));
    await blob.closed;
    expect(blob.received[0]).toMatchObject({ code: 'frame_too_large' });
    expect(MAX_DISCARD_BYTES).toBeLessThan(1024 * 1024);
    alice.send({ type: 'list' });
    expect(await alice.next()).toMatchObject({ type: 'users', users: ['alice'] });
  });

  it('closes a TLS handshake on the plain port with a readable reason', async () => {
    await start();
    const tls = await RawClient.connect(server.port);
    clients.push(tls);
    tls.raw(Buffer.from('160301020001', 'hex'));
    await tls.closed;
    expect(tls.received).toEqual([expect.objectContaining({ type: 'error', code: 'not_parley' })]);
  });

  it('a slow client that keeps reading is never dropped: the sender is read more slowly instead (zero loss)', async () => {
    await start({ maxSendQueueBytes: 256 * 1024, ratePerSecond: 0 });
    const alice = await join('alice');
    const reader = await join('reader');
    // Reads one chunk every 20 ms (about 3 MB/s): far slower than alice writes, but it never stops.
    reader.socket.pause();
    reader.socket.on('data', () => reader.socket.pause());
    const reading = setInterval(() => reader.socket.resume(), 20);
    try {
      const text = 'q'.repeat(1900);
      const count = 12_000; // ~23 MB: far more than the queue cap and the kernel's buffers
      let burst = '';
      for (let i = 0; i < count; i++) burst += JSON.stringify({ type: 'say', text: `${i} ${text}` }) + '\n';
      alice.raw(burst);
      const last = await reader.next((m) => m.type === 'message' && m.text.startsWith(`${count - 1} `), 60_000);
      expect(last).toMatchObject({ from: 'alice' });
      const got = reader.all('message').length + 1;
      expect(reader.all('left')).toEqual([]);
      expect(got).toBe(count);
    } finally {
      clearInterval(reading);
      reader.socket.resume();
    }
  }, 90_000);

  it('drops a client that stops reading once its queue stays over the mark; the others carry on', async () => {
    await start({ maxSendQueueBytes: 256 * 1024, ratePerSecond: 0, slowReceiverMs: 500, tickMs: 50 });
    const alice = await join('alice');
    const sloth = await join('sloth');
    const carol = await join('carol');
    sloth.socket.pause(); // never reads again: the kernel buffers fill, then the server's queue
    const text = 'z'.repeat(1900);
    // Batches that carol must receive before the next: the room keeps up, only sloth falls behind.
    let left: ServerMessage | undefined;
    for (let batch = 0; batch < 400 && !left; batch++) {
      for (let i = 0; i < 50; i++) alice.send({ type: 'say', text, ref: `${batch}.${i}` });
      await alice.next((m) => m.type === 'message' && m.ref === `${batch}.49`);
      alice.received.length = 0;
      const seen = (batch + 1) * 50;
      const got = await carol.next((m) => m.type === 'left' || (m.type === 'message' && m.id === seen));
      if (got.type === 'left') left = got;
      carol.received.splice(0, carol.received.length, ...carol.received.filter((m) => m.type !== 'message' || m.id > seen));
    }
    left ??= await carol.next((m) => m.type === 'left');
    expect(left).toMatchObject({ name: 'sloth', reason: 'kicked', message: 'send queue exceeded' });
    carol.send({ type: 'say', text: 'carol still talks' });
    expect(await alice.next((m) => m.type === 'message' && m.from === 'carol', 10_000)).toMatchObject({ text: 'carol still talks' });
    expect(readLog()).toMatch(/leave conn=2 .*name=sloth reason=kicked why="send queue exceeded"/);
  });

  it('closes connections that never say hello at the registration deadline', async () => {
    await start({ registrationTimeoutMs: 300, tickMs: 50 });
    const silent = await RawClient.connect(server.port);
    clients.push(silent);
    await silent.closed;
    expect(silent.received).toEqual([expect.objectContaining({ code: 'registration_timeout' })]);
  });
});
