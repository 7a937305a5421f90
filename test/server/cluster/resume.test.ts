import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { clusterFixture } from '../../helpers/cluster.js';
import { RawClient } from '../../helpers/raw-client.js';

// A session token is good for one resume (issue 10: it is rotated), also in a cluster (two real
// parley-server processes on one real redis-server): two resumes with one token on two nodes at the same
// moment, within the journal's delay, give one welcome and one bad_token; the winner's new token works on
// the other node.

const cluster = clusterFixture(2, ['--scrypt-n', '1024', '--no-rate-limit', '--max-per-ip', '0']);

async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The answer to a hello with `token` on `node`: welcome or an error. */
async function resume(node: number, name: string, token: string): Promise<ServerMessage> {
  const c = await RawClient.connect(cluster.nodes[node]!.port);
  cluster.clients.push(c);
  c.send({ type: 'hello', name, version: 2, token });
  return c.next((m) => m.type === 'welcome' || m.type === 'error', 10_000);
}

describe('resuming with a token in a cluster', () => {
  it('lets one of two resumes with the same token on two nodes at once succeed, the other gets bad_token', async () => {
    for (let round = 0; round < 4; round++) {
      const name = `twin${round}`;
      const owner = await cluster.hello(0, name);
      const registered = await ask(owner, { type: 'register', password: 'correct horse' }, 'reg');
      if (registered.type !== 'registered') throw new Error(JSON.stringify(registered));
      // Node 1 has the token once it lists the session: a second login there shows both.
      const other = await cluster.hello(1, name, { password: 'correct horse' });
      for (let i = 0; ; i++) {
        const sessions = await ask(other, { type: 'sessions' }, `s${i}`);
        if (sessions.type === 'sessions' && sessions.sessions.length === 2) break;
        if (i > 100) throw new Error('node 1 never learned the token');
        await pause(20);
      }
      const [a, b] = await Promise.all([resume(0, name, registered.token), resume(1, name, registered.token)]);
      const answers = [a, b].map((m) => (m.type === 'error' ? m.code : m.type));
      expect(answers.sort(), `round ${round}`).toEqual(['bad_token', 'welcome']);
      const won = (a.type === 'welcome' ? a : b) as Extract<ServerMessage, { type: 'welcome' }>;
      // The new token goes on, on the node that did not rotate it too, once the rotation has reached it.
      const elsewhere = a.type === 'welcome' ? 1 : 0;
      let again = await resume(elsewhere, name, won.token!);
      for (let i = 0; again.type !== 'welcome' && i < 100; i++) {
        await pause(20);
        again = await resume(elsewhere, name, won.token!);
      }
      expect(again).toMatchObject({ type: 'welcome', name });
    }
  });
});
