import { afterEach, describe, expect, it } from 'vitest';
import { serverProcess } from '../helpers/cli.js';
import { MiB, cpuSeconds, rssBytes } from '../helpers/proc.js';
import { RawClient } from '../helpers/raw-client.js';

// 3. 1 MiB with no newline, and broken TLS handshakes: closed at the limit (the TLS ones by the TLS layer,
//    which now serves the port too), server memory grows by less than a few MB, no CPU spin afterwards.
// 4. A client that never reads during a flood is dropped when its queue passes the cap; server RSS stays
//    bounded; the others' latency does not change materially.
// Each runs the real server in its own process so its memory and CPU can be read from /proc.

type Server = Awaited<ReturnType<typeof serverProcess>>;
let server: Server;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  server.child.kill('SIGTERM');
  await server.exit;
});

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

describe('memory and CPU under junk', () => {
  it('20 connections each sending 1 MiB without a newline, and 20 TLS handshakes: all closed, RSS +<8 MiB, CPU idle after', async () => {
    server = await serverProcess(['--max-per-ip', '0']);
    const bystander = await RawClient.join(server.port, 'bystander');
    clients.push(bystander);
    await settle();
    const before = rssBytes(server.pid);

    const blobs = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(server.port)));
    const tls = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(server.port)));
    clients.push(...blobs, ...tls);
    for (const b of blobs) b.raw(Buffer.alloc(MiB, 0x41));
    // A whole TLS record holding an empty ClientHello: a decode error and an alert at once.
    for (const t of tls) t.raw(Buffer.from('160301000401000000', 'hex'));
    await Promise.all([...blobs, ...tls].map((c) => c.closed));
    for (const b of blobs) expect(b.received[0]).toMatchObject({ code: 'frame_too_large' });
    for (const t of tls) expect(t.received).toEqual([]); // a TLS alert, no parley frame

    await settle();
    const grown = rssBytes(server.pid) - before;
    const cpu0 = cpuSeconds(server.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const idleCpu = cpuSeconds(server.pid) - cpu0;
    console.log(`20 MiB of junk: RSS grew ${(grown / MiB).toFixed(1)} MiB; CPU in the next second ${idleCpu.toFixed(2)} s`);
    expect(grown).toBeLessThan(8 * MiB);
    expect(idleCpu).toBeLessThan(0.1);
    bystander.send({ type: 'list' });
    expect(await bystander.next((m) => m.type === 'users')).toMatchObject({ users: ['bystander'] });
  }, 30_000);

  it('a client that never reads is dropped at the 1 MiB queue cap; RSS bounded (others\' round trip reported)', async () => {
    server = await serverProcess(['--max-per-ip', '0', '--no-rate-limit']);
    const sender = await RawClient.join(server.port, 'sender');
    const probe = await RawClient.join(server.port, 'probe');
    const sloth = await RawClient.join(server.port, 'sloth');
    clients.push(sender, probe, sloth);

    async function probeLatency(samples: number): Promise<number> {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        probe.send({ type: 'ping', token: `p${i}` });
        await probe.next((m) => m.type === 'pong' && m.token === `p${i}`);
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[Math.floor(samples / 2)]!;
    }

    const quiet = await probeLatency(20);
    const before = rssBytes(server.pid);
    sloth.socket.pause();
    const text = 'f'.repeat(1900);
    let maxRss = before;
    let batches = 0;
    let left;
    while (!left && batches < 300) {
      for (let i = 0; i < 50; i++) sender.send({ type: 'say', text, ref: `${batches}.${i}` });
      await sender.next((m) => m.type === 'message' && m.ref === `${batches}.49`, 10_000);
      sender.received.length = 0;
      probe.received.splice(0, probe.received.length, ...probe.all('left'));
      left = probe.all('left')[0];
      maxRss = Math.max(maxRss, rssBytes(server.pid));
      batches++;
    }
    expect(left).toMatchObject({ name: 'sloth', reason: 'kicked', message: 'send queue exceeded' });
    const busy = await probeLatency(20);
    console.log(
      `slow consumer dropped after ${((batches * 50 * 1.95) / 1024).toFixed(1)} MiB sent; server RSS peak +${((maxRss - before) / MiB).toFixed(1)} MiB; ` +
        `probe median round trip ${quiet.toFixed(2)} ms quiet, ${busy.toFixed(2)} ms after`,
    );
    expect(maxRss - before).toBeLessThan(32 * MiB);
    // The round trips are reported, not asserted: timing on a shared 2-core machine belongs to npm run bench.
  }, 60_000);
});
