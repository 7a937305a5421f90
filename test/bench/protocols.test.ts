import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { adapter, makePayload, payloadSender, type ProtocolAdapter } from '../../bench/protocols.js';
import { lineReader, scan } from '../../bench/receive.js';
import { startServer, type RunningServer } from '../../src/server/host.js';

// The bench greets each parley build in the protocol version it speaks (bench --parley-build): version 2 as
// parley's own client, version 1 for a build from before rooms. Over real sockets: where each adapter's
// handshake ends, and that a room message said in either version is found and counted alike by the other.

let server: RunningServer | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  await server?.close();
  server = undefined;
});

interface BenchClient {
  socket: net.Socket;
  /** The frame types received up to the one that ended the handshake, and that frame. */
  seen: string[];
  last: Record<string, unknown>;
  /** Senders of the payloads found after the handshake, by the bench's own scan. */
  payloadsFrom: number[];
}

/** A load client as bench/worker.ts runs one: greeting, handshake line by line, then scan. */
function connect(port: number, proto: ProtocolAdapter, nick: string): Promise<BenchClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const c: BenchClient = { socket, seen: [], last: {}, payloadsFrom: [] };
    const reader = lineReader();
    let joined = false;
    let carry = '';
    socket.on('connect', () => socket.write(proto.greeting(nick)));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (joined) {
        scan(reader, chunk, proto.pingNeedle, (buf, at) => c.payloadsFrom.push(payloadSender(buf, at)), () => undefined);
        return;
      }
      carry += chunk.toString('utf8');
      for (let nl = carry.indexOf('\n'); nl >= 0 && !joined; nl = carry.indexOf('\n')) {
        const line = carry.slice(0, nl);
        carry = carry.slice(nl + 1);
        c.last = JSON.parse(line) as Record<string, unknown>;
        c.seen.push(String(c.last.type));
        const step = proto.handshake(line, nick, true, true);
        if (step.error !== undefined) reject(new Error(step.error));
        if (step.reply !== undefined) socket.write(step.reply);
        if (step.joined) {
          joined = true;
          resolve(c);
        }
      }
    });
  });
}

describe('the bench greets each parley build in its protocol version', () => {
  it('version 1 (parley1) is in the room at the welcome, which lists the room; version 2 at the room frame; a line said in either is counted by the other', async () => {
    server = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0 });
    const v2 = await connect(server.port, adapter('parley'), 'g1u0');
    const v1 = await connect(server.port, adapter('parley1'), 'g1u1');
    expect(v1.seen).toEqual(['welcome']);
    expect(v1.last.users).toEqual(expect.arrayContaining(['g1u0', 'g1u1']));
    expect(v1.last.version).toBe(1);
    expect(v2.seen.at(-1)).toBe('room');
    expect(v2.seen).toContain('welcome');
    v1.socket.write(adapter('parley1').say(makePayload(1, 1, 0, 0)));
    v2.socket.write(adapter('parley').say(makePayload(1, 0, 0, 0)));
    const deadline = Date.now() + 10_000;
    while ((v1.payloadsFrom.length < 2 || v2.payloadsFrom.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Each sees the other's line and its own echo (the workers leave the echo out by the sender's index).
    expect(v1.payloadsFrom.sort()).toEqual([0, 1]);
    expect(v2.payloadsFrom.sort()).toEqual([0, 1]);
  });
});
