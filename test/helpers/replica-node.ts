import { ClusterBus, type BusOptions } from '../../src/server/cluster/bus.js';
import { parseRedisUrl } from '../../src/server/cluster/redis.js';
import { ReplicaStore, type StateChange } from '../../src/server/cluster/replica.js';

// A cluster node without a hub, in the test's process: a bus and a replica of the shared state wired as
// ClusterNode wires them (src/server/cluster/node.ts): the journal applied to the replica, snapshots loaded
// into it and taken from it, and its changes journaled, a failed journal write handled as the node does
// (logged there, never an unhandled rejection). For tests of the journal, its trimming and shared state.

export interface ReplicaNode {
  id: string;
  bus: ClusterBus;
  store: ReplicaStore;
  /** What the bus logged (journal_reload, journal_kept, cluster_error...), oldest first. */
  log: { event: string; fields: Record<string, unknown> }[];
  /** Snapshots this node loaded (at start, or on finding the journal trimmed past it). */
  loads: number;
  /** Stop the bus and close the replica. */
  stop(): Promise<void>;
}

/**
 * Start node `id` on the Redis at `port` (a proxy's, or the server's; database 0). `options` are the bus's
 * (heartbeatMs, ttlMs, journalMax...); its client address is 127.0.0.1:1 unless given.
 */
export async function replicaNode(id: string, port: number, options: Partial<Omit<BusOptions, 'redis' | 'nodeId' | 'log'>> = {}): Promise<ReplicaNode> {
  const store = new ReplicaStore();
  const log: ReplicaNode['log'] = [];
  const bus = new ClusterBus({ host: '127.0.0.1', port: 1, ...options, redis: parseRedisUrl(`redis://127.0.0.1:${port}/0`), nodeId: id, log: (event, fields) => log.push({ event, fields }) });
  const n: ReplicaNode = {
    id,
    bus,
    store,
    log,
    loads: 0,
    async stop() {
      await bus.stop();
      store.close();
    },
  };
  await bus.start({
    event() {},
    nodeDown() {},
    link() {},
    users: () => new Map(),
    state: (c) => store.apply(c as StateChange),
    load: (data) => {
      n.loads++;
      store.loadShared(data);
    },
    snapshot: () => store.dumpShared(),
  });
  store.attach({
    get up() {
      return bus.up;
    },
    append: (c) => void bus.journal(c).catch(() => undefined),
  });
  return n;
}
