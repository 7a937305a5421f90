import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { hostileFrame, prng } from '../helpers/mutate.js';
import { RawClient } from '../helpers/raw-client.js';

// 2. 10,000 random and mutated frames from several attackers: the server stays up, and a bystander gets
//    every one of its own messages, in order.

let server: RunningServer;
afterEach(() => server.close());

describe('hostile frames', () => {
  it('10,000 mutated frames from 4 attackers: server up, bystander receives 100/100 of its messages in order', async () => {
    // Rate limiting off, so every hostile frame is parsed and fully handled rather than refused early.
    server = await startServer({ port: 0, ratePerSecond: 0, maxConnectionsPerIp: 0 });
    const bystander = await RawClient.join(server.port, 'bystander');
    const listener = await RawClient.join(server.port, 'listener');
    const attackers = await Promise.all([1, 2, 3, 4].map(() => RawClient.connect(server.port)));
    const rand = prng(20261123);

    let sent = 0;
    for (let round = 0; round < 100; round++) {
      for (const a of attackers) {
        if (a.isClosed) continue;
        const batch: Buffer[] = [];
        for (let i = 0; i < 25; i++) batch.push(hostileFrame(rand));
        a.raw(Buffer.concat(batch));
        sent += 25;
        a.received.length = 0; // attackers read (so they are not dropped for a full queue) but we ignore it
      }
      bystander.send({ type: 'say', text: `ordered ${round}` });
      if (round % 10 === 9) await bystander.next((m) => m.type === 'message' && m.text === `ordered ${round}`, 10_000);
    }
    await listener.seen((m) => m.type === 'message' && m.from === 'bystander' && m.text === 'ordered 99', 10_000);

    const own = listener.all('message').filter((m) => m.from === 'bystander').map((m) => m.text);
    expect(own).toEqual(Array.from({ length: 100 }, (_, i) => `ordered ${i}`));
    expect(sent).toBeGreaterThanOrEqual(9000); // attackers that sent a valid quit stop early
    // The server still answers a newcomer.
    const late = await RawClient.join(server.port, 'latecomer');
    late.send({ type: 'list' });
    expect(await late.next((m) => m.type === 'users')).toMatchObject({ type: 'users' });
    for (const c of [bystander, listener, late, ...attackers]) c.close();
    console.log(`hostile frames sent: ${sent}; bystander messages received in order: ${own.length}/100`);
  }, 60_000);
});
