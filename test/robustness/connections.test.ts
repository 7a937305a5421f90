import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { CLIENT, run } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw-client.js';

// 5. 1,000 sockets that never say hello are all closed by the registration deadline; the per-IP cap is
//    enforced with a clear refusal.
// 6. A frozen client (SIGSTOP) is removed after the keepalive timeout with exactly one left notice.
// 7. A client sending 100 messages in 1 s is rate-limited with error frames; the room stays usable.
// 9. Confusable names are refused while the original is present.

let server: RunningServer;
afterEach(() => server.close());

describe('connections', () => {
  it('closes 1,000 silent sockets at the registration deadline (figure: 1000/1000 closed, 0 early)', async () => {
    server = await startServer({ port: 0, maxConnectionsPerIp: 0, registrationTimeoutMs: 1500, tickMs: 100 });
    const sockets: net.Socket[] = [];
    const opened = Date.now();
    for (let i = 0; i < 1000; i++) {
      sockets.push(net.connect(server.port, '127.0.0.1'));
      sockets[i]!.on('error', () => {}).resume(); // read, so the server's goodbye and FIN arrive
    }
    const closedAt = await Promise.all(sockets.map((s) => new Promise<number>((resolve) => s.on('close', () => resolve(Date.now())))));
    const early = closedAt.filter((t) => t - opened < 1400).length;
    const last = Math.max(...closedAt) - opened;
    console.log(`1000 silent sockets: all closed, the last ${last} ms after opening (deadline 1500 ms); closed early: ${early}`);
    expect(early).toBe(0);
    expect(server.hub.connectionCount).toBe(0);
  }, 30_000);

  it('refuses the 17th connection from one address with too_many_connections', async () => {
    server = await startServer({ port: 0 });
    const ok = await Promise.all(Array.from({ length: 16 }, () => RawClient.connect(server.port)));
    const refused = await RawClient.connect(server.port);
    await refused.closed;
    expect(refused.received).toEqual([expect.objectContaining({ type: 'error', code: 'too_many_connections' })]);
    ok[0]!.close();
    await ok[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const again = await RawClient.join(server.port, 'again'); // a slot freed up
    for (const c of [...ok, again]) c.close();
  });

  it('removes a frozen (SIGSTOPped) client after the keepalive timeout with exactly one left notice', async () => {
    server = await startServer({ port: 0, pingIntervalMs: 400, pingTimeoutMs: 400, tickMs: 50 });
    const watcher = await RawClient.join(server.port, 'watcher');
    // The watcher keeps answering pings from the start (a client can take longer than the 800 ms timeout to
    // start on a busy machine), so only the frozen client goes quiet.
    const pump = setInterval(() => watcher.send({ type: 'pong' }), 100);
    const frozen = run(CLIENT, ['--plain', 'frozen', '127.0.0.1', String(server.port)]);
    await watcher.next((m) => m.type === 'joined');
    frozen.child.kill('SIGSTOP');
    const t0 = Date.now();
    try {
      expect(await watcher.next((m) => m.type === 'left', 5000)).toMatchObject({ name: 'frozen', reason: 'timeout' });
      const took = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 1000));
      expect(watcher.all('left')).toEqual([]);
      console.log(`frozen client removed ${took} ms after SIGSTOP (ping at 400 ms, drop at 800 ms); left notices: 1`);
    } finally {
      clearInterval(pump);
      frozen.child.kill('SIGKILL');
      watcher.close();
    }
  }, 20_000);
});

describe('flood', () => {
  it('rate-limits 100 messages in 1 s with error frames; the room stays usable', async () => {
    server = await startServer({ port: 0 });
    const flooder = await RawClient.join(server.port, 'flooder');
    const alice = await RawClient.join(server.port, 'alice');
    const bob = await RawClient.join(server.port, 'bob');
    for (let i = 0; i < 100; i++) {
      flooder.send({ type: 'say', text: `spam ${i}`, ref: String(i) });
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 100));
    }
    await flooder.seen((m) => 'ref' in m && m.ref === '99', 5000);
    const refused = flooder.all('error').filter((m) => m.code === 'rate_limited').length;
    const relayed = flooder.all('message').length;
    alice.send({ type: 'say', text: 'can anyone hear me?' });
    const t0 = performance.now();
    await bob.next((m) => m.type === 'message' && m.from === 'alice');
    const latency = performance.now() - t0;
    console.log(`flood of 100 in ~1 s: ${relayed} relayed, ${refused} refused with rate_limited; alice → bob after it: ${latency.toFixed(1)} ms`);
    expect(relayed + refused).toBe(100);
    expect(refused).toBeGreaterThanOrEqual(80);
    expect(relayed).toBeLessThanOrEqual(20);
    expect(flooder.isClosed).toBe(false);
    for (const c of [flooder, alice, bob]) c.close();
  });
});

describe('confusable names', () => {
  it.each([
    ['ALICE', 'name_taken'],
    ['\u0430lice', 'invalid_name'],
    ['alice\u200b', 'invalid_name'],
    ['\u212alice', 'invalid_name'], // Kelvin sign K, which lowercases to an ASCII k
  ])('refuses %j while alice is here (%s)', async (name, code) => {
    server = await startServer({ port: 0 });
    const alice = await RawClient.join(server.port, 'alice');
    const imposter = await RawClient.connect(server.port);
    imposter.send({ type: 'hello', name, version: 1 });
    expect(await imposter.next()).toMatchObject({ type: 'error', code });
    for (const c of [alice, imposter]) c.close();
  });
});
