import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/host.js';
import { FRAME_BURST, FRAMES_PER_SECOND } from '../../src/wire/limits.js';
import { closedAfterEach } from '../helpers/cleanup.js';
import { RawClient } from '../helpers/raw-client.js';

// Issue 10, item 7: "Free frames pin the CPU." Blank lines and pings cost the hub nothing to answer, so a
// connection writing them as fast as it could took a core and others' round trips. Every line now costs
// against a per-connection budget; past it the server stops reading that connection until the debt is
// paid. Counted here (how many of the flooder's frames the server answered); the effect on others' round
// trips is measured by `npm run bench:abuse`.

const { servers, clients } = closedAfterEach();

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

/** Round trips of `c`: n pings one after another, each waited for. */
async function pings(c: RawClient, n: number): Promise<number> {
  let answered = 0;
  for (let i = 0; i < n; i++) {
    c.send({ type: 'ping', token: `b${i}` });
    await c.next((m) => m.type === 'pong' && m.token === `b${i}`, 5000);
    answered++;
  }
  return answered;
}

describe('every frame costs', () => {
  for (const flood of ['blank lines with a ping every 100', 'pings'] as const) {
    it(`one connection flooding ${flood}: the server reads only its budget, and a bystander's pings are all answered`, async () => {
      const server = await startServer({ port: 0 });
      servers.push(server);
      const bystander = await connect(server.port);
      const flooder = await connect(server.port);
      const unit = flood === 'pings' ? '{"type":"ping"}\n' : '\n'.repeat(100) + '{"type":"ping"}\n';
      const t0 = Date.now();
      let sent = 0;
      // Write for one second, as fast as the socket takes it.
      while (Date.now() - t0 < 1000) {
        if (flooder.socket.writableLength < 1024 * 1024) {
          flooder.raw(unit.repeat(500));
          sent += 500;
        }
        await new Promise((r) => setImmediate(r));
      }
      const answered = await pings(bystander, 20);
      const elapsed = (Date.now() - t0) / 1000;
      const pongs = flooder.all('pong').length;
      const budget = FRAME_BURST + FRAMES_PER_SECOND * elapsed;
      console.log(`flood of ${flood}: ${sent} pings sent in 1 s, ${pongs} answered in ${elapsed.toFixed(1)} s (budget ${budget.toFixed(0)} frames); bystander ${answered}/20 pongs`);
      expect(answered).toBe(20);
      expect(pongs).toBeLessThanOrEqual(budget);
      expect(flooder.all('error').filter((e) => e.code === 'slow_down')).toHaveLength(1);
    }, 20_000);
  }

  it('a client within its budget is never paused: 50 requests at once are all answered at once', async () => {
    const server = await startServer({ port: 0 });
    servers.push(server);
    const c = await connect(server.port);
    c.raw(Array.from({ length: 50 }, (_, i) => JSON.stringify({ type: 'ping', token: `t${i}` }) + '\n').join(''));
    await c.next((m) => m.type === 'pong' && m.token === 't49');
    expect(c.all('pong')).toHaveLength(49);
    expect(c.all('error')).toEqual([]);
  });
});
