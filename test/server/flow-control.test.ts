import { describe, expect, it } from 'vitest';
import { startServer, type ServerOptions } from '../../src/server/host.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { closedAfterEach } from '../helpers/cleanup.js';
import { RawClient } from '../helpers/raw-client.js';

// Backpressure (host.ts): a recipient above the high-water mark stops the server reading the senders that
// filled its queue, and relieve() reads them again once it is low. A report from bench:client said the
// senders' last lines sometimes stayed unread after they stopped sending. Counted, not timed: several
// senders each send K numbered lines into a room with a slow but steady reader; once they stop, every line
// must reach the reader, in each sender's order, and the reader must stay in the room.

const open = closedAfterEach();

const SENDERS = 5;
const LINES = 1500; // per sender; with the padding ~5 MB in all: far past the queue and the kernel's buffers

/** The reader reads one chunk every `everyMs` ms: slower than the senders write, but it never stops. */
function readSlowly(c: RawClient, everyMs: number): () => void {
  c.socket.pause();
  c.socket.on('data', () => c.socket.pause());
  const timer = setInterval(() => c.socket.resume(), everyMs);
  return () => {
    clearInterval(timer);
    c.socket.resume();
  };
}

async function run(options: ServerOptions): Promise<void> {
  const server = await startServer({ port: 0, ratePerSecond: 0, ...options });
  open.servers.push(server);
  const join = async (name: string) => {
    const c = await RawClient.join(server.port, name);
    open.clients.push(c);
    return c;
  };
  const reader = await join('reader');
  const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => join(`s${i}`)));
  const stop = readSlowly(reader, 10);
  try {
    const pad = 'p'.repeat(600);
    // Each sender writes its lines in bursts, interleaved with the others, as fast as the socket takes them.
    for (let burst = 0; burst < 10; burst++) {
      for (const [n, s] of senders.entries()) {
        let out = '';
        for (let i = (burst * LINES) / 10; i < ((burst + 1) * LINES) / 10; i++) out += JSON.stringify({ type: 'say', text: `s${n} ${i} ${pad}` }) + '\n';
        s.raw(out);
      }
    }
    // The senders have stopped: every line still comes through (the last of each sender's last).
    for (let n = 0; n < SENDERS; n++) await reader.seen((m) => m.type === 'message' && m.text.startsWith(`s${n} ${LINES - 1} `), 90_000);
    const got = reader.all('message') as Extract<ServerMessage, { type: 'message' }>[];
    for (let n = 0; n < SENDERS; n++) {
      const order = got.filter((m) => m.from === `s${n}`).map((m) => Number(m.text.split(' ')[1]));
      expect(order).toEqual(Array.from({ length: LINES }, (_, i) => i));
    }
    expect(reader.received.filter((m) => m.type === 'error' || m.type === 'left')).toEqual([]);
    // The senders read their own lines back too (parley echoes them): nothing of theirs was dropped either.
    for (const [n, s] of senders.entries()) await s.seen((m) => m.type === 'message' && m.text.startsWith(`s${n} ${LINES - 1} `), 30_000);
  } finally {
    stop();
  }
}

describe('senders held back by a slow reader are read again: no line is left unread', () => {
  it('with the default queue limits', { timeout: 120_000 }, async () => {
    await run({});
  });

  // A quarter of the queue: the senders are held and read again about 40 times as often as with the defaults.
  it('with a small queue (64 KiB: high-water 16 KiB, low-water 4 KiB)', { timeout: 120_000 }, async () => {
    await run({ maxSendQueueBytes: 64 * 1024 });
  });
});
