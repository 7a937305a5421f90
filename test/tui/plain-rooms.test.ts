import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { CLIENT, run } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw-client.js';

// Rooms in line mode (issue 13): the real `parley` binary over pipes against a real server, with a
// version-2 raw client in #dev.

let server: RunningServer;
let raws: RawClient[] = [];

beforeEach(async () => {
  server = await startServer({ port: 0 });
});

afterEach(async () => {
  for (const r of raws) r.close();
  raws = [];
  await server.close();
});

const TIME = '\\d\\d:\\d\\d:\\d\\d';

describe('parley --plain in several rooms', () => {
  it('prefixes room events with their room once in two rooms; plain lines go to the current room; /window and /topic #room', async () => {
    const alice = await RawClient.join(server.port, 'alice');
    raws.push(alice);
    const bob = run(CLIENT, ['--plain', 'bob', '127.0.0.1', String(server.port)]);
    await bob.waitFor(/^\* users \(2\): alice, bob$/);
    alice.send({ type: 'say', text: 'one room' });
    await bob.waitFor(new RegExp(`^${TIME} <alice> one room$`));

    bob.child.stdin.write('/join #dev\n');
    await bob.waitFor(/^\* now in #dev$/);
    await bob.waitFor(/^\* operators: bob$/);
    bob.child.stdin.write('in dev\n');
    await bob.waitFor(new RegExp(`^#dev ${TIME} <bob> in dev$`));

    alice.send({ type: 'say', text: 'lobby again' });
    await bob.waitFor(new RegExp(`^#lobby ${TIME} <alice> lobby again$`));

    bob.child.stdin.write('/topic #dev builds\n');
    await bob.waitFor(/^#dev \* topic: builds \(set by bob/);

    bob.child.stdin.write('/window #lobby\n');
    await bob.waitFor(/^\* current room: #lobby$/);
    bob.child.stdin.write('back here\n');
    const heard = await alice.next((m) => m.type === 'message' && m.from === 'bob');
    expect(heard).toMatchObject({ text: 'back here' });

    bob.child.stdin.write('/window 5\n');

    bob.child.stdin.write('/part #dev done\n');
    await bob.waitFor(/^\* you are no longer in #dev; current room: #lobby$/);
    expect(bob.stderr()).toContain('parley: you are not in 5; your rooms: 1 #lobby, 2 #dev\n');
    alice.send({ type: 'say', text: 'single again' });
    await bob.waitFor(new RegExp(`^${TIME} <alice> single again$`));
    bob.child.stdin.end();
  });
});
