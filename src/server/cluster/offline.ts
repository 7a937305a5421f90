import { claimAccount, forgetAccount, journalEntry } from './accounts.js';
import { keys } from './keys.js';
import { openRedis, parseRedisUrl, whenReady } from './redis.js';
import { ReplicaStore, type StateChange } from './replica.js';
import { loadJournal } from './snapshot.js';

// The cluster's accounts for `parley-server user ... --redis URL`, without a running server: the snapshot
// and the journal after it replayed into a replica (as a server does at start), and each change journaled as the servers' own are,
// so every running server applies it at once and every server started later replays it.

/** The journal's author for changes made from the command line (no server has this id). */
const CLI_NODE = 'cli';

export interface ClusterAccounts {
  /** Read it as a database; its changes go to the cluster (written by close()). */
  store: ReplicaStore;
  /** The Redis URL with any password masked, for messages. */
  shown: string;
  /** Register an account cluster-wide: false when the name is taken (also by a server racing for it). */
  claim(user: { key: string; name: string; hash: string; created: number }): Promise<boolean>;
  /** Wait for the changes to be in Redis (rejects if one failed), then disconnect. */
  close(): Promise<void>;
}

/** Connect to the cluster on `url` (RedisUrlError for a bad one; rejects with a one-line reason when unreachable). */
export async function openClusterAccounts(url: string, timeoutMs = 5000): Promise<ClusterAccounts> {
  const address = parseRedisUrl(url);
  const redis = openRedis(address, `parley:${CLI_NODE}`);
  try {
    await whenReady(redis, address, timeoutMs);
    const store = new ReplicaStore();
    await loadJournal(redis, (data) => store.loadShared(data), (change) => store.apply(change as StateChange));
    const writes: Promise<unknown>[] = [];
    store.attach({
      up: true,
      append: (change) => {
        // A removed name is free for a new registration in the same step.
        const written = change.op === 'removeUser' ? forgetAccount(redis, CLI_NODE, change.key, change) : redis.xadd(keys.state, '*', 'e', journalEntry(CLI_NODE, change));
        // close() reports the failure; until it runs, the rejection must not count as unhandled (Node would end the command).
        written.catch(() => undefined);
        writes.push(written);
      },
    });
    return {
      store,
      shown: address.shown,
      claim: (u) => claimAccount(redis, CLI_NODE, u.key, { op: 'addUser', ...u } satisfies StateChange),
      async close() {
        try {
          await Promise.all(writes);
        } finally {
          store.close();
          redis.disconnect();
        }
      },
    };
  } catch (err) {
    redis.disconnect();
    throw err;
  }
}
