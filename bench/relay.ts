// The "node floor": the least a Node.js chat server on parley's wire must do, to put parley's figures beside
// what Node itself costs (issue 15, targets 1-3). It accepts TCP, splits lines, answers a hello with a welcome
// and a room frame listing the joiner alone (what the bench's clients wait for; no member lists and no join
// notices, so its join storm is no floor for target 6), and turns each `say` into parley's message frame
// (same keys, same order: bench/receive.ts finds and times its payloads exactly as parley's), queued for the
// turn; at the end of the turn (setImmediate) the turn's frames go out as one buffer, one socket.write per
// member, the sender's echo included, as parley's flush does. Nothing else: no sanitising, no limits, no
// history, no rooms table, no keepalives, no flow control (a slow reader's queue grows; the bench's sweep
// stops at a p99 over 100 ms before that matters). bench/README.md, "The node floor", says why it is fair.
//
//   node bench/dist/relay.js PORT [HOST]      (prints "listening" once it listens)
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The one room every member is in (parley's default room, so the frames are parley's byte for byte). */
export const RELAY_ROOM = '#lobby';

/** A relay listening on `port` (0: any) of `host`; resolves once it listens. */
export function startRelay(port: number, host = '127.0.0.1'): Promise<net.Server> {
  const members = new Set<net.Socket>();
  let turn: string[] = [];
  let id = 0;
  const flush = (): void => {
    const data = Buffer.from(turn.join(''));
    turn = [];
    for (const m of members) m.write(data);
  };
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let name: string | null = null;
    let carry: Buffer | null = null;
    socket.on('error', () => socket.destroy());
    socket.on('close', () => members.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      const buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
      let start = 0;
      for (let nl = buf.indexOf(10); nl >= 0; start = nl + 1, nl = buf.indexOf(10, start)) {
        let msg: { type?: unknown; name?: unknown; text?: unknown };
        try {
          msg = JSON.parse(buf.toString('utf8', start, nl)) as typeof msg;
        } catch {
          continue;
        }
        if (msg.type === 'say' && name !== null) {
          if (turn.length === 0) setImmediate(flush);
          turn.push(`{"type":"message","room":"${RELAY_ROOM}","from":${name},"text":${JSON.stringify(msg.text)},"time":${Date.now()},"id":${++id}}\n`);
        } else if (msg.type === 'hello' && name === null) {
          name = JSON.stringify(String(msg.name));
          members.add(socket);
          socket.write(`{"type":"welcome","version":2,"name":${name},"rooms":["${RELAY_ROOM}"]}\n{"type":"room","room":"${RELAY_ROOM}","operators":[],"users":[${name}]}\n`);
        }
      }
      carry = start < buf.length ? buf.subarray(start) : null;
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await startRelay(Number(process.argv[2] ?? 0), process.argv[3]);
  process.stdout.write('listening\n');
}
