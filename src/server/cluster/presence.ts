import type { Redis } from 'ioredis';
import { CLUSTER_FORGET_NODE_MS, NODE_TTL_MS } from '../../wire/limits.js';
import { compareNames } from '../../wire/names.js';
import { keys } from './keys.js';

// Presence: each node renews a key with a TTL (and the list of its users, with the same TTL) at every
// heartbeat. A node that dies stops renewing; when its key lapses the others treat it as gone. There is
// no election and no "I am leaving" message to lose: the TTL is the only truth.

/** What a node says about itself at each heartbeat (the value of its presence key). */
export interface NodeInfo {
  id: string;
  /** Where its clients connect. */
  host: string;
  port: number;
  pid: number;
  /** Start time and last heartbeat, ms since the epoch (the node's clock). */
  started: number;
  beat: number;
  users: number;
  /** The last journal entry this node applied (absent: it keeps no replica); the journal is never trimmed past it. */
  journal?: string;
}

/** A node as `cluster status` shows it. */
export interface NodeStatus {
  id: string;
  alive: boolean;
  /** Last heartbeat (ms since the epoch), from the presence key or, for a dead node, the nodes index. */
  beat: number;
  info?: NodeInfo;
  /** Display names of its users (empty for a dead node: its list lapsed with it). */
  users: string[];
}

/**
 * Renew `info`'s presence key and its users (folded name -> display name) with `ttlMs`, in one
 * MULTI/EXEC so a reader never sees the node alive with half a user list.
 */
export async function heartbeat(redis: Redis, info: NodeInfo, users: ReadonlyMap<string, string>, ttlMs = NODE_TTL_MS): Promise<void> {
  const m = redis.multi();
  m.set(keys.node(info.id), JSON.stringify(info), 'PX', ttlMs);
  m.del(keys.users(info.id));
  if (users.size > 0) {
    m.hset(keys.users(info.id), Object.fromEntries(users));
    m.pexpire(keys.users(info.id), ttlMs);
  }
  m.zadd(keys.nodes, info.beat, info.id);
  m.zremrangebyscore(keys.nodes, '-inf', info.beat - CLUSTER_FORGET_NODE_MS);
  const results = await m.exec();
  const failed = results?.find(([err]) => err !== null);
  if (results === null || failed) throw failed?.[0] ?? new Error('heartbeat transaction was discarded');
}

/** Remove the node's presence at once (a clean shutdown), so the others drop its users without waiting for the TTL. */
export async function withdraw(redis: Redis, node: string): Promise<void> {
  await redis.del(keys.node(node), keys.users(node));
}

/** Which of `nodes` are alive (their presence key exists). */
export async function aliveNodes(redis: Redis, nodes: readonly string[]): Promise<Set<string>> {
  if (nodes.length === 0) return new Set();
  const p = redis.pipeline();
  for (const n of nodes) p.exists(keys.node(n));
  const results = (await p.exec()) ?? [];
  const alive = new Set<string>();
  results.forEach(([err, n], i) => {
    if (err) throw err;
    if (n === 1) alive.add(nodes[i]!);
  });
  return alive;
}

/** Nodes that beat within CLUSTER_FORGET_NODE_MS, newest first. */
export async function knownNodes(redis: Redis): Promise<{ id: string; beat: number }[]> {
  const flat = await redis.zrevrange(keys.nodes, 0, -1, 'WITHSCORES');
  const out: { id: string; beat: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, beat: Number(flat[i + 1]) });
  return out;
}

/** The users of a live node: folded name -> display name (empty if it has none or is gone). */
export async function nodeUsers(redis: Redis, node: string): Promise<Map<string, string>> {
  return new Map(Object.entries(await redis.hgetall(keys.users(node))));
}

/** Every known node with its state and users: what `parley-server cluster status` prints. */
export async function clusterStatus(redis: Redis): Promise<NodeStatus[]> {
  const nodes = await knownNodes(redis);
  if (nodes.length === 0) return [];
  const p = redis.pipeline();
  for (const n of nodes) {
    p.get(keys.node(n.id));
    p.hvals(keys.users(n.id));
  }
  const results = (await p.exec()) ?? [];
  return nodes.map((n, i) => {
    const [e1, raw] = results[2 * i]!;
    const [e2, users] = results[2 * i + 1]!;
    if (e1) throw e1;
    if (e2) throw e2;
    let info: NodeInfo | undefined;
    try {
      info = typeof raw === 'string' ? (JSON.parse(raw) as NodeInfo) : undefined;
    } catch {
      info = undefined;
    }
    return { id: n.id, alive: info !== undefined, beat: info?.beat ?? n.beat, ...(info && { info }), users: info ? (users as string[]).sort(compareNames) : [] };
  });
}
