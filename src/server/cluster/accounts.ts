import type { Redis } from 'ioredis';
import { keys } from './keys.js';

// The cluster's registered names: the hash `parley:accounts` (folded name -> the node that registered it)
// is the arbiter, and each change is journaled to `parley:state` in the same step as the hash, so no node
// can see a name taken without its account, or an account removed while its name stays taken.

// KEYS[1] accounts hash, KEYS[2] state stream. ARGV[1] folded name, ARGV[2] node, ARGV[3] the journal entry.
const CLAIM_ACCOUNT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
return 1
`;

/** The journal entry of a change made by `node` (a server's id, or `cli` for `parley-server user`). */
export function journalEntry(node: string, change: unknown): string {
  return JSON.stringify({ node, kind: 'state', change });
}

/**
 * Register folded name `key` cluster-wide, journaling `change` (its addUser) in the same step: true for
 * exactly one of several racing for the same name, false when it is taken. Rejects when Redis cannot be asked.
 */
export async function claimAccount(redis: Redis, node: string, key: string, change: unknown): Promise<boolean> {
  return (await redis.eval(CLAIM_ACCOUNT, 2, keys.accounts, keys.state, key, node, journalEntry(node, change))) === 1;
}

/** Free folded name `key` for a new registration and journal `change` (its removeUser), in one step. */
export async function forgetAccount(redis: Redis, node: string, key: string, change: unknown): Promise<void> {
  const results = await redis.multi().hdel(keys.accounts, key).xadd(keys.state, '*', 'e', journalEntry(node, change)).exec();
  const failed = results?.find(([err]) => err !== null);
  if (results === null || failed) throw failed?.[0] ?? new Error('the account was not removed');
}
