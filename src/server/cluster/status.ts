import { clusterStatus, type NodeStatus } from './presence.js';
import { openRedis, parseRedisUrl, whenReady } from './redis.js';

// `parley-server cluster status`: the nodes of a cluster, their users and their last heartbeat, read
// straight from Redis (no node has to be asked, so it also works when every node is down).

/** The status as text: one line per node, then its users, indented. `now` is for the "ago" figures. */
export function formatStatus(nodes: NodeStatus[], now: number): string {
  if (nodes.length === 0) return 'no parley nodes have used this Redis in the last 24 hours\n';
  const alive = nodes.filter((n) => n.alive);
  const users = alive.reduce((sum, n) => sum + n.users.length, 0);
  let out = `${alive.length} node(s) alive, ${users} user(s)${nodes.length > alive.length ? `; ${nodes.length - alive.length} gone` : ''}\n`;
  for (const n of nodes) {
    const ago = Math.max(0, Math.round((now - n.beat) / 1000));
    const beat = `last heartbeat ${new Date(n.beat).toISOString()} (${ago} s ago)`;
    if (n.info) {
      out += `node ${n.id}  alive  ${n.info.host}:${n.info.port}  pid ${n.info.pid}  ${n.users.length} user(s)  ${beat}\n`;
      if (n.users.length > 0) out += `  users: ${n.users.join(', ')}\n`;
    } else {
      out += `node ${n.id}  gone   ${beat}\n`;
    }
  }
  return out;
}

/**
 * Run `cluster status` against `url` and return the text and the exit code (0, or 3 if Redis cannot be
 * reached). Throws RedisUrlError for a bad URL.
 */
export async function runClusterStatus(url: string, json: boolean): Promise<{ text: string; code: number }> {
  const address = parseRedisUrl(url);
  const redis = openRedis(address, 'parley:status');
  try {
    await whenReady(redis, address, 3000);
    const nodes = await clusterStatus(redis);
    return { text: json ? JSON.stringify(nodes) + '\n' : formatStatus(nodes, Date.now()), code: 0 };
  } catch (err) {
    return { text: `parley-server: ${(err as Error).message}\n`, code: 3 };
  } finally {
    redis.disconnect();
  }
}
