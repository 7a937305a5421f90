import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterBus } from '../../../src/server/cluster/bus.js';
import { parseRedisUrl, RedisUrlError } from '../../../src/server/cluster/redis.js';
import { run, SERVER } from '../../helpers/cli.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';

// `parley-server cluster status` (the built binary) against a real redis-server with two live nodes and
// one that left; and the --redis URL's checks.

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const handlers = (users: string[]) => ({ event() {}, nodeDown() {}, link() {}, users: () => new Map(users.map((u) => [u.toLowerCase(), u])) });

describe('parley-server cluster status', () => {
  it('lists the live nodes with their address, users and last heartbeat, and a node that left as gone', async () => {
    const a = new ClusterBus({ redis: parseRedisUrl(redis.url), nodeId: 'alpha', host: '127.0.0.1', port: 7001 });
    const b = new ClusterBus({ redis: parseRedisUrl(redis.url), nodeId: 'beta', host: '127.0.0.1', port: 7002 });
    const c = new ClusterBus({ redis: parseRedisUrl(redis.url), nodeId: 'gamma', host: '127.0.0.1', port: 7003 });
    await a.start(handlers(['alice', 'Bob']));
    await b.start(handlers(['carol']));
    await c.start(handlers([]));
    await c.stop();
    try {
      const r = run(SERVER, ['cluster', 'status', '--redis', redis.url]);
      expect(await r.exit).toBe(0);
      const out = r.stdout();
      expect(out).toMatch(/^2 node\(s\) alive, 3 user\(s\); 1 gone$/m);
      expect(out).toMatch(/^node alpha {2}alive {2}127\.0\.0\.1:7001 {2}pid \d+ {2}2 user\(s\) {2}last heartbeat \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ s ago\)$/m);
      expect(out).toMatch(/^ {2}users: alice, Bob$/m);
      expect(out).toMatch(/^node beta {2}alive .*1 user\(s\)/m);
      expect(out).toMatch(/^node gamma {2}gone {3}last heartbeat /m);
      // The same from the environment, as JSON.
      const j = run(SERVER, ['cluster', 'status', '--json'], { PARLEY_REDIS_URL: redis.url });
      expect(await j.exit).toBe(0);
      const nodes = JSON.parse(j.stdout()) as { id: string; alive: boolean; users: string[] }[];
      expect(nodes.map((n) => [n.id, n.alive, n.users]).sort()).toEqual([
        ['alpha', true, ['alice', 'Bob']],
        ['beta', true, ['carol']],
        ['gamma', false, []],
      ]);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('says in one line when Redis cannot be reached (exit 3) or the URL is wrong (exit 2)', async () => {
    const down = run(SERVER, ['cluster', 'status', '--redis', 'redis://127.0.0.1:1/0']);
    expect(await down.exit).toBe(3);
    expect(down.stderr()).toMatch(/^parley-server: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0 \(.*\); start it or fix --redis\n$/);
    const bad = run(SERVER, ['cluster', 'status', '--redis', 'http://x']);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toBe('parley-server cluster: "http:" is not supported; write redis://HOST:PORT/DB\n');
    const none = run(SERVER, ['cluster', 'status'], { PARLEY_REDIS_URL: '' });
    expect(await none.exit).toBe(2);
    expect(none.stderr()).toMatch(/which cluster\?/);
  });
});

describe('parseRedisUrl', () => {
  it('takes host, port and database, with defaults, and masks a password', () => {
    expect(parseRedisUrl('redis://10.0.0.5:6380/3')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 3, shown: 'redis://10.0.0.5:6380/3' });
    expect(parseRedisUrl('redis://cache')).toMatchObject({ host: 'cache', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://[::1]:7000/1')).toMatchObject({ host: '::1', port: 7000, db: 1 });
    const secret = parseRedisUrl('redis://:s3cret@cache:6379/0');
    expect(secret.password).toBe('s3cret');
    expect(secret.shown).not.toContain('s3cret');
  });

  it.each([
    ['cache:6379', /not supported|not a URL/],
    ['rediss://cache', /"rediss:" is not supported/],
    ['redis://cache/16', /"16" is not a database number/],
    ['redis://cache/x', /"x" is not a database number/],
    ['redis://:6379', /not a URL|has no host/],
  ])('refuses %s with a reason', (url, why) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(why);
  });
});
