import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { serverProcess } from '../../helpers/cli.js';
import { clusterFixture } from '../../helpers/cluster.js';
import type { RawClient } from '../../helpers/raw-client.js';

// Away across a cluster (issue 17, item 8): two real parley-server processes on one real redis-server.
// Someone away on one node is shown away to the people of the other, and a whisper from there gets the
// away message back once. A node started later learns who is away and which guests are operators of a
// room (neither is in the journal: they end with the guest's connection).

const cluster = clusterFixture(2);
const { hello } = cluster;

async function request(c: RawClient, msg: object, ref = String(Math.random())): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 5000);
}

describe('away in a cluster', () => {
  it('shows an away user of one node to the other, and tells a whisperer there once', async () => {
    const alice = await hello(0, 'alice');
    const bob = await hello(1, 'bob');
    await alice.next((m) => m.type === 'joined' && m.name === 'bob', 5000);

    await request(bob, { type: 'away', message: 'on a train' });
    expect(await alice.next((m) => m.type === 'away', 5000)).toMatchObject({ name: 'bob', away: true, message: 'on a train' });
    expect(await request(alice, { type: 'list' })).toMatchObject({ users: ['alice', 'bob'], away: ['bob'] });

    expect(await request(alice, { type: 'whisper', to: 'bob', text: 'which one?' })).toMatchObject({ away: 'on a train' });
    expect(await request(alice, { type: 'whisper', to: 'bob', text: 'hello?' })).not.toHaveProperty('away');
    expect(await bob.next((m) => m.type === 'whisper' && m.text === 'hello?', 5000)).not.toHaveProperty('away');

    await request(bob, { type: 'back' });
    expect(await alice.next((m) => m.type === 'away', 5000)).toMatchObject({ name: 'bob', away: false });
    expect(await request(alice, { type: 'list' })).not.toHaveProperty('away');

    // Gone from the cluster: no longer listed as away when the same name comes back.
    await request(bob, { type: 'away' });
    await alice.next((m) => m.type === 'away', 5000);
    bob.close();
    await alice.next((m) => m.type === 'left' && m.name === 'bob', 5000);
    await hello(1, 'bob');
    await alice.next((m) => m.type === 'joined' && m.name === 'bob', 5000);
    expect(await request(alice, { type: 'list' })).not.toHaveProperty('away');
  });

  it('tells a node started later who is away and which guests are operators of a room', async () => {
    const gus = await hello(0, 'gus');
    expect(await request(gus, { type: 'join', room: '#early' })).toMatchObject({ type: 'room', operators: ['gus'] });
    await request(gus, { type: 'away', message: 'at lunch' });
    cluster.nodes.push(await serverProcess(['--redis', cluster.redis.url, '--no-rate-limit'], 20_000));
    const late = await hello(2, 'late');
    // Her node hears from the others once it has told them it is there (their syncs): ask until it knows (5 s at most).
    let room: ServerMessage | undefined;
    const known = (m: ServerMessage | undefined) => m?.type === 'room' && m.operators.includes('gus') && m.away?.includes('gus') === true;
    for (let i = 0; i < 50 && !known(room); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      room = await request(late, { type: 'join', room: '#early' });
    }
    expect(room).toMatchObject({ type: 'room', room: '#early', users: ['gus', 'late'], operators: ['gus'], away: ['gus'] });
    expect(await request(late, { type: 'whisper', to: 'gus', text: 'back soon?' })).toMatchObject({ away: 'at lunch' });
  });
});
