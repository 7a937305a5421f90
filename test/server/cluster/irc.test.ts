import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { serverProcess } from '../../helpers/cli.js';
import { clusterFixture } from '../../helpers/cluster.js';
import { IrcClient } from '../../helpers/irc-client.js';
import type { RawClient } from '../../helpers/raw-client.js';

// IRC clients of a cluster whose gateways run with --irc-no-default-room (real redis-server, parley-server
// processes): such a client is in no room until it joins one, on every node: it is not listed in the
// default room elsewhere (also not on a node started later), and it is known online everywhere, so a whisper
// from another node reaches it.

const ARGS = ['--no-rate-limit', '--irc-port', '0', '--irc-no-default-room'];
const cluster = clusterFixture(2, ARGS);

async function ircPort(node: { waitFor: (p: RegExp, ms?: number) => Promise<string> }): Promise<number> {
  const line = await node.waitFor(/^IRC gateway on /, 10_000);
  return Number(/:(\d+);/.exec(line)![1]);
}

async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

/** Ask `msg` until the answer satisfies `ok` (what one node did reaches another within milliseconds). */
async function eventually(c: RawClient, msg: Record<string, unknown>, ok: (m: ServerMessage) => boolean): Promise<ServerMessage> {
  let got: ServerMessage | undefined;
  for (let i = 0; i < 50; i++) {
    got = await ask(c, msg, `e${i}`);
    if (ok(got)) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got!;
}

describe('IRC clients kept out of the default room, across nodes', () => {
  it('are not listed in the default room on other nodes, and get whispers from them', async () => {
    const irc = await IrcClient.connect(await ircPort(cluster.nodes[1]!));
    irc.send('NICK ivy');
    irc.send('USER ivy 0 * :Ivy');
    await irc.next((m) => m.command === '001', 10_000);
    const pat = await cluster.hello(0, 'pat');
    // Known online on node 0: a whisper there reaches her on node 1.
    const sent = await eventually(pat, { type: 'whisper', to: 'ivy', text: 'hello from node 0' }, (m) => m.type === 'whisper');
    expect(sent).toMatchObject({ type: 'whisper', to: 'ivy' });
    expect(await irc.next((m) => m.command === 'PRIVMSG' && m.params[1] === 'hello from node 0', 10_000)).toBeDefined();
    // ...and not in the default room there.
    const lobby = await ask(pat, { type: 'list' }, 'l');
    expect(lobby).toMatchObject({ type: 'users' });
    expect(lobby.type === 'users' && lobby.users).not.toContain('ivy');
    // A node started later learns of her from node 1, and does not list her in the default room either.
    cluster.nodes.push(await serverProcess(['--redis', cluster.redis.url, ...ARGS], 20_000));
    const quinn = await cluster.hello(2, 'quinn');
    const later = await eventually(quinn, { type: 'whisper', to: 'ivy', text: 'hello from node 2' }, (m) => m.type === 'whisper');
    expect(later).toMatchObject({ type: 'whisper', to: 'ivy' });
    await new Promise((r) => setTimeout(r, 500)); // node 1's user list (its sync) has come
    const there = await ask(quinn, { type: 'list' }, 'l2');
    expect(there.type === 'users' && there.users).not.toContain('ivy');
    expect(there.type === 'users' && there.users).toEqual(expect.arrayContaining(['pat', 'quinn']));
    // Renamed, she is still reachable under the new name from another node.
    irc.send('NICK ivy2');
    await irc.next((m) => m.command === 'NICK', 10_000);
    expect(await eventually(pat, { type: 'whisper', to: 'ivy2', text: 'renamed?' }, (m) => m.type === 'whisper')).toMatchObject({ type: 'whisper', to: 'ivy2' });
    irc.close();
  }, 90_000);
});
