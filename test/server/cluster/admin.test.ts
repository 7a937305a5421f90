import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/wire/messages.js';
import { run, SERVER } from '../../helpers/cli.js';
import { clusterFixture } from '../../helpers/cluster.js';
import type { RawClient } from '../../helpers/raw-client.js';

// An administrator's rights across the nodes of a cluster (real redis-server, two parley-server processes):
// taken away with `parley-server user admin NAME --off --redis URL`, they end on the session that held them,
// whichever node it is on, at once: `admin_revoked`, and what needed them is refused from then on.

const cluster = clusterFixture(2, ['--no-rate-limit', '--scrypt-n', '1024', '--max-per-ip', '0']);

async function ask(c: RawClient, msg: Record<string, unknown>, ref: string): Promise<ServerMessage> {
  c.send({ ...msg, ref });
  return c.next((m) => 'ref' in m && m.ref === ref, 10_000);
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<void> {
  const r = run(SERVER, [...args, '--redis', cluster.redis.url], env);
  expect(await r.exit, r.stderr()).toBe(0);
}

describe('administrators across nodes', () => {
  it('rights taken away from the command line end on the session holding them on another node', async () => {
    await cli(['user', 'add', 'ada'], { PARLEY_PASSWORD: 'ada password 1' });
    await cli(['user', 'admin', 'ada']);
    const ada = await cluster.hello(1, 'ada', { password: 'ada password 1' });
    const ned = await cluster.hello(0, 'ned');
    expect(await ask(ned, { type: 'join', room: '#first' }, 'j1')).toMatchObject({ type: 'room' });
    expect(await ask(ned, { type: 'join', room: '#second' }, 'j2')).toMatchObject({ type: 'room' });
    // The rooms reach node 1 through the bus; an administrator closes one there.
    let closed: ServerMessage | undefined;
    for (let i = 0; i < 50; i++) {
      closed = await ask(ada, { type: 'close', room: '#first', reason: 'tidy' }, `c${i}`);
      if (closed.type !== 'error' || closed.code !== 'no_such_room') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(closed).toMatchObject({ type: 'closed', room: '#first' });
    await cli(['user', 'admin', 'ada', '--off']);
    expect(await ada.next((m) => m.type === 'error' && m.code === 'admin_revoked', 10_000)).toMatchObject({ code: 'admin_revoked' });
    const refused = await ask(ada, { type: 'close', room: '#second', reason: 'tidy' }, 'c2');
    expect(refused).toMatchObject({ type: 'error' });
    expect(await ask(ned, { type: 'rooms' }, 'r')).toMatchObject({ type: 'rooms', rooms: expect.arrayContaining([expect.objectContaining({ room: '#second' })]) });
  }, 60_000);
});
