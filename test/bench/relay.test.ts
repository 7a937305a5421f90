import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adapter, makePayload, payloadSender } from '../../bench/protocols.js';
import { lineReader, scan } from '../../bench/receive.js';
import { startRelay } from '../../bench/relay.js';
import { startServer } from '../../src/server/host.js';

// The node floor (bench/relay.ts) stands beside parley in the bench's room steps: its figures mean something
// only if the bench's clients get into its room as into parley's and its deliveries are counted as parley's.
// Over real sockets, the same clients and sends against parley and against the relay: the same deliveries
// found by the receivers' scan (bench/receive.ts), and the same message frames byte for byte but for the
// time and id.

const proto = adapter('parley');
const stops: Array<() => Promise<void>> = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of sockets.splice(0)) s.destroy();
  for (const stop of stops.splice(0)) await stop();
});

interface Member {
  socket: net.Socket;
  sender: number;
  /** Payloads of others found by scan, and every line after the handshake. */
  deliveries: number;
  lines: string[];
}

/** A bench client (the parley adapter's handshake): resolves once the server's room frame said it is in. */
function join(port: number, nick: string, sender: number): Promise<Member> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const m: Member = { socket, sender, deliveries: 0, lines: [] };
    const reader = lineReader();
    let handshake = '';
    let joined = false;
    socket.once('error', reject);
    socket.on('connect', () => socket.write(proto.greeting(nick)));
    const room = (chunk: Buffer): void => {
      m.lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      scan(reader, chunk, proto.pingNeedle, (buf, at) => {
        if (payloadSender(buf, at) !== sender) m.deliveries++;
      }, () => undefined);
    };
    socket.on('data', (chunk: Buffer) => {
      if (joined) return room(chunk);
      handshake += chunk.toString('utf8');
      for (let nl = handshake.indexOf('\n'); nl >= 0 && !joined; nl = handshake.indexOf('\n')) {
        const step = proto.handshake(handshake.slice(0, nl), nick, sender >= 0, true);
        handshake = handshake.slice(nl + 1);
        if (step.error !== undefined) return reject(new Error(step.error));
        if (step.joined === true) {
          joined = true;
          resolve(m);
          if (handshake !== '') room(Buffer.from(handshake));
        }
      }
    });
  });
}

const MEMBERS = 5;
const SENDERS = 2;
const PER_SENDER = 6;

/** MEMBERS clients in the room, SENDERS of them each writing PER_SENDER says in one write; what everyone got. */
async function talk(port: number): Promise<Member[]> {
  const members: Member[] = [];
  for (let i = 0; i < MEMBERS; i++) members.push(await join(port, `g1u${i}`, i < SENDERS ? i : -1));
  for (const m of members.slice(0, SENDERS)) {
    let out = '';
    for (let seq = 0; seq < PER_SENDER; seq++) out += proto.say(makePayload(7, m.sender, seq, 1000 + seq));
    m.socket.write(out);
  }
  const expected = (MEMBERS - 1) * SENDERS * PER_SENDER;
  // Every payload line reaches every member, the senders' echoes included.
  for (let i = 0; i < 500 && members.reduce((a, m) => a + m.lines.filter((l) => l.includes('~B~')).length, 0) < MEMBERS * SENDERS * PER_SENDER; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(members.reduce((a, m) => a + m.deliveries, 0)).toBe(expected);
  return members;
}

/** A message frame with its time and id taken out: what must be the same on both servers. */
const layout = (line: string): string => line.replace(/"time":\d+/, '"time":T').replace(/"id":\d+/, '"id":I');

describe('the node floor (bench/relay.ts)', () => {
  it("gets the bench's clients into its room and its deliveries counted exactly as parley's, in parley's message frames", async () => {
    const parley = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0 });
    stops.push(() => parley.close());
    const viaParley = await talk(parley.port);
    const relay = await startRelay(0);
    stops.push(() => new Promise((r) => relay.close(() => r())));
    const viaRelay = await talk((relay.address() as net.AddressInfo).port);

    for (let i = 0; i < MEMBERS; i++) {
      // A receiver gets every other sender's lines and a sender its own echo too, on both: N-1 counted each.
      expect(viaRelay[i]!.deliveries, `member ${i}`).toBe(viaParley[i]!.deliveries);
      const frames = (ms: Member[]): string[] => ms[i]!.lines.filter((l) => l.startsWith('{"type":"message"')).map(layout);
      expect(frames(viaRelay), `member ${i}`).toEqual(frames(viaParley));
      expect(frames(viaRelay)).toHaveLength(SENDERS * PER_SENDER);
    }
  });

  it("sends a turn's frames to each member in one write", async () => {
    const relay = await startRelay(0);
    stops.push(() => new Promise((r) => relay.close(() => r())));
    const port = (relay.address() as net.AddressInfo).port;
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) members.push(await join(port, `g1u${i}`, i === 0 ? 0 : -1));
    const writes = vi.spyOn(net.Socket.prototype, 'write');
    // Six lines in one write from the sender are one read of the relay's: one turn.
    let out = '';
    for (let seq = 0; seq < PER_SENDER; seq++) out += proto.say(makePayload(7, 0, seq, 1000 + seq));
    members[0]!.socket.write(out);
    for (let i = 0; i < 500 && members.some((m) => m.lines.length < PER_SENDER); i++) await new Promise((r) => setTimeout(r, 10));
    expect(members.map((m) => m.lines.length)).toEqual(members.map(() => PER_SENDER));
    // The sender's one write, then one write per member (its echo for the sender).
    expect(writes.mock.calls.length).toBe(1 + MEMBERS);
  });
});
