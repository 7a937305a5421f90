import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session } from '../../src/tui/core/session.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/until.js';

// A line in flight when the connection drops is neither lost nor doubled: the client resends what was not
// echoed, and the server recognises a ref it already accepted. A proxy between client and server loses
// either the client's line (the server never saw it) or the server's echo (it did) at the moment it cuts.

type Loss = 'none' | 'to-server' | 'to-client';

async function proxy(target: number) {
  let loss: Loss = 'none';
  const pairs = new Set<[net.Socket, net.Socket]>();
  const srv = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.on('data', (d) => loss !== 'to-server' && upstream.write(d));
    upstream.on('data', (d) => loss !== 'to-client' && client.write(d));
    for (const s of pair) {
      s.on('error', () => {});
      s.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    /** From now on, silently drop what flows one way. */
    lose(way: Loss) {
      loss = way;
    },
    /** Cut every connection, and let traffic flow again for the next ones. */
    cut() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      loss = 'none';
    },
    close: () => new Promise((r) => srv.close(r)),
  };
}

let server: RunningServer;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});


describe('a line in flight when the connection drops', () => {
  for (const way of ['to-client', 'to-server'] as const) {
    it(`is delivered exactly once after the reconnect when the ${way === 'to-client' ? "server's echo" : "client's line"} was lost`, async () => {
      server = await startServer({ port: 0 });
      cleanups.push(() => server.close());
      const p = await proxy(server.port);
      cleanups.push(() => p.close());
      const watcher = await RawClient.join(server.port, 'watcher');
      cleanups.push(() => watcher.close());
      const events: ChatEvent[] = [];
      const s = new Session({ name: 'bob', host: '127.0.0.1', port: p.port, mode: 'tui', reconnect: true, backoffMs: [100] }, (e) => events.push(e));
      cleanups.push(() => s.destroy());
      await s.start();

      p.lose(way);
      s.input('hello through the storm');
      s.input('/w watcher and a whisper');
      await new Promise((r) => setTimeout(r, 150)); // written, and (to-client) handled by the server
      p.cut();

      await until(() => events.filter((e) => e.kind === 'message' && e.own).length === 1 && events.some((e) => e.kind === 'whisper' && e.outgoing));
      await new Promise((r) => setTimeout(r, 300));
      expect(watcher.all('message').filter((m) => m.from === 'bob').map((m) => m.text)).toEqual(['hello through the storm']);
      expect(watcher.all('whisper').map((m) => m.text)).toEqual(['and a whisper']);
      expect(events.filter((e) => e.kind === 'message' && e.own)).toHaveLength(1);
      expect(events.filter((e) => e.kind === 'whisper' && e.outgoing)).toHaveLength(1);
      // While it was uncertain, the line was shown as pending, and the echo has the same ref.
      const pending = events.find((e) => e.kind === 'pending' && e.to === undefined);
      const echo = events.find((e) => e.kind === 'message' && e.own);
      expect(pending && echo && pending.kind === 'pending' && echo.kind === 'message' && pending.ref === echo.ref).toBe(true);
    });
  }
});
