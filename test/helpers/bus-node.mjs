// A bus node in a process of its own, so a test can kill -9 it: node test/helpers/bus-node.mjs URL ID TTL_MS BEAT_MS USER...
// Prints "ready" once it has joined; built code (dist/) only, like the server the other tests run.
import { ClusterBus } from '../../dist/server/cluster/bus.js';

const [url, id, ttl, beat, ...users] = process.argv.slice(2);
const { parseRedisUrl } = await import('../../dist/server/cluster/redis.js');
const bus = new ClusterBus({ redis: parseRedisUrl(url), nodeId: id, host: '127.0.0.1', port: 1, ttlMs: Number(ttl), heartbeatMs: Number(beat) });
const map = new Map(users.map((u) => [u.toLowerCase(), u]));
await bus.start({ event() {}, nodeDown() {}, link() {}, users: () => map });
for (const u of users) await bus.claim(u.toLowerCase(), 1);
process.stdout.write('ready\n');
setInterval(() => {}, 1000);
