import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { CONNECT_BURST, HELLO_BURST, PRIVATE_ASKS_PER_PAIR } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';

// Issue 10, item 6: "Churn floods. From one address: 488 joins/s (every member receives ~1,000
// notices/s); 4,869 private-chat requests in 10 s to one victim; the cool-down after /deny is skipped by
// reconnecting." Connections and hellos are now limited per source address, private-chat requests per
// asker and target, and the cool-down is kept by name and address, not by connection.

let server: RunningServer | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function connect(port: number, from: string): Promise<RawClient> {
  const c = await RawClient.connect(port, from);
  clients.push(c);
  return c;
}

async function join(port: number, name: string, from: string): Promise<RawClient> {
  const c = await connect(port, from);
  c.send({ type: 'hello', name, version: 1, ref: 'h' });
  await c.next((m) => m.type === 'welcome');
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('churn from one address', () => {
  it('a join/leave loop of 60 from one address: refused past the burst, and a member hears a bounded number of notices', async () => {
    server = await startServer({ port: 0 });
    const member = await join(server.port, 'member', '127.0.0.20');
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const c = await connect(server.port, '127.0.0.21');
      c.send({ type: 'hello', name: `churn${i}`, version: 1, ref: 'h' });
      const r = await c.next((m) => m.type === 'welcome' || m.type === 'error', 3000).catch(() => undefined);
      const what = r === undefined ? 'closed' : r.type === 'error' ? r.code : r.type;
      outcomes[what] = (outcomes[what] ?? 0) + 1;
      c.close();
      await c.closed;
    }
    await sleep(200);
    const notices = member.received.filter((m) => m.type === 'joined' || m.type === 'left').length;
    console.log(`join/leave loop of 60 from one address: ${JSON.stringify(outcomes)}; the member heard ${notices} notices`);
    expect(outcomes.welcome).toBeLessThanOrEqual(Math.max(CONNECT_BURST, HELLO_BURST) + 5);
    expect(outcomes.slow_down).toBeGreaterThan(0);
    expect(notices).toBeLessThanOrEqual(2 * (Math.max(CONNECT_BURST, HELLO_BURST) + 5));
    // Another address is not affected.
    await join(server.port, 'elsewhere', '127.0.0.22');
  }, 30_000);

  it('asking one person for a private chat over and over: past the limit the asker is refused and the victim hears nothing more', async () => {
    server = await startServer({ port: 0, ratePerSecond: 1000, rateBurst: 1000 });
    const victim = await join(server.port, 'victim', '127.0.0.23');
    const pest = await join(server.port, 'pest', '127.0.0.24');
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) {
      pest.send({ type: 'private', to: 'victim', ref: `p${i}` });
      const r = await pest.next((m) => 'ref' in m && m.ref === `p${i}`);
      codes.push(r.type === 'error' ? r.code : r.type);
      pest.send({ type: 'private_end', name: 'victim', reason: 'stopped' }); // withdraw, and ask again
    }
    await sleep(100);
    const requests = victim.all('private_request').length;
    console.log(`20 asks, each withdrawn: victim got ${requests} requests; the asker saw ${codes.join(',')}`);
    expect(requests).toBe(PRIVATE_ASKS_PER_PAIR);
    expect(codes.filter((c) => c === 'slow_down')).toHaveLength(20 - PRIVATE_ASKS_PER_PAIR);
  });

  it('the cool-down after a deny survives reconnecting under the same name, and under another name from the same address', async () => {
    server = await startServer({ port: 0 });
    const victim = await join(server.port, 'victim', '127.0.0.25');
    let pest = await join(server.port, 'pest', '127.0.0.26');
    pest.send({ type: 'private', to: 'victim', ref: 'p1' });
    await victim.next((m) => m.type === 'private_request');
    victim.send({ type: 'deny', name: 'pest', ref: 'd' });
    await pest.next((m) => m.type === 'private_end');
    pest.close();
    await pest.closed;
    pest = await join(server.port, 'pest', '127.0.0.26');
    pest.send({ type: 'private', to: 'victim', ref: 'p2' });
    const again = (await pest.next((m) => 'ref' in m && m.ref === 'p2')) as Extract<ServerMessage, { type: 'error' }>;
    expect(again).toMatchObject({ type: 'error', code: 'private_refused' });
    expect(again.message).toMatch(/declined; you can ask again in \d+ s/);
    const other = await join(server.port, 'pest2', '127.0.0.26');
    other.send({ type: 'private', to: 'victim', ref: 'p3' });
    expect(await other.next((m) => 'ref' in m && m.ref === 'p3')).toMatchObject({ type: 'error', code: 'private_refused' });
    expect(victim.all('private_request')).toHaveLength(0); // the first was taken by next() above
  });
});
