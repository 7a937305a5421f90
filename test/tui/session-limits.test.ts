import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session } from '../../src/tui/core/session.js';
import { until } from '../helpers/until.js';

// Issue 12, item 13: the client takes the server's limits from welcome instead of its own copies. A server
// that allows one request at a time at 2 per second, and pings after 300 ms, gets exactly that from parley.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server of our own that welcomes with `limits` and notes when each frame arrived. */
async function strictServer(limits: object) {
  const arrivals: { type: string; at: number }[] = [];
  const srv = net.createServer((socket) => {
    let buffer = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const frame = JSON.parse(buffer.slice(0, nl)) as { type: string; text?: string; ref?: string; token?: string };
        buffer = buffer.slice(nl + 1);
        arrivals.push({ type: frame.type, at: Date.now() });
        if (frame.type === 'hello') socket.write(JSON.stringify({ type: 'welcome', version: 1, name: 'bob', users: ['bob'], motd: '', session: 's', limits, features: { accounts: 'off', history: 0, offline: false, blocks: true, private: false } }) + '\n');
        if (frame.type === 'say') socket.write(JSON.stringify({ type: 'message', id: arrivals.length, from: 'bob', text: frame.text, time: Date.now(), ref: frame.ref }) + '\n');
        if (frame.type === 'ping') socket.write(JSON.stringify({ type: 'pong', token: frame.token }) + '\n');
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => srv.close(r)));
  return { port: (srv.address() as net.AddressInfo).port, arrivals };
}

describe('the client reads the limits of welcome', () => {
  it('paces to the server’s advertised rate and pings at its advertised interval', async () => {
    const server = await strictServer({ frameBytes: 8192, textChars: 2000, rateBurst: 1, ratePerSecond: 2, pingIntervalMs: 300, pingTimeoutMs: 60_000, registrationTimeoutMs: 20_000 });
    const events: ChatEvent[] = [];
    const s = new Session({ name: 'bob', host: '127.0.0.1', port: server.port, mode: 'tui' }, (e) => events.push(e));
    cleanups.push(() => s.destroy());
    await s.start();
    const welcomedAt = Date.now();
    for (const line of ['one', 'two', 'three']) s.input(line);
    await until(() => server.arrivals.filter((a) => a.type === 'say').length === 3, 5000, 'three lines');
    const says = server.arrivals.filter((a) => a.type === 'say').map((a) => a.at);
    // One at a time at 90% of 2 per second: about 0.56 s apart (the built-in burst of 10 would send all at once).
    expect(says[2]! - says[0]!).toBeGreaterThanOrEqual(900);
    await until(() => server.arrivals.some((a) => a.type === 'ping' && a.at > says[2]!), 5000, 'a keepalive ping');
    expect(server.arrivals.find((a) => a.type === 'ping')!.at - welcomedAt).toBeLessThan(10_000); // not the built-in 30 s
  });
});
