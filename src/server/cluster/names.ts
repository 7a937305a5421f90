import type { Redis } from 'ioredis';
import { keys } from './keys.js';

// Names unique across the cluster. A name key holds its holder, "NODE/CONN". Claiming is one Lua script,
// so two nodes claiming the same name at the same moment are serialised by Redis: exactly one wins. A
// name held by a node whose presence key has lapsed (the node died) is free: no cleanup has to run first.
// A proven login (password or token) may take its own name over from a live holder (`force`): the older
// session is then closed by its node, as on a single server.

// KEYS[1] name key. ARGV[1] claimant "NODE/CONN", ARGV[2] presence key prefix, ARGV[3] "1" to force.
// Returns {1, previous holder or ""} when claimed, {0, holder} when taken.
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] and ARGV[3] ~= '1' then
  local node = string.match(cur, '^(.*)/[^/]*$')
  if node and redis.call('EXISTS', ARGV[2] .. node) == 1 then return {0, cur} end
end
redis.call('SET', KEYS[1], ARGV[1])
return {1, cur or ''}
`;

// KEYS[1] name key, ARGV[1] holder. Deletes only if still held by that holder (it may have been taken over).
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** The outcome of a claim: won (with the previous holder, if any, to be told), or taken (by whom). */
export type ClaimResult = { ok: true; previous?: Holder } | { ok: false; holder: Holder };

/** Who holds a name: the node and its connection id. */
export interface Holder {
  node: string;
  conn: number;
}

export function holderText(h: Holder): string {
  return `${h.node}/${h.conn}`;
}

export function parseHolder(text: string): Holder | undefined {
  const at = text.lastIndexOf('/');
  if (at <= 0) return undefined;
  const conn = Number(text.slice(at + 1));
  return Number.isInteger(conn) ? { node: text.slice(0, at), conn } : undefined;
}

/**
 * Claim the folded name `key` for `holder`. Rejects when Redis cannot be asked (the caller refuses the
 * name: uniqueness cannot be checked).
 */
export async function claimName(redis: Redis, key: string, holder: Holder, force = false): Promise<ClaimResult> {
  const [won, other] = (await redis.eval(CLAIM, 1, keys.name(key), holderText(holder), keys.nodePrefix, force ? '1' : '0')) as [number, string];
  const h = other ? parseHolder(other) : undefined;
  if (won === 1) return h && holderText(h) !== holderText(holder) ? { ok: true, previous: h } : { ok: true };
  return { ok: false, holder: h ?? { node: other, conn: 0 } };
}

/** Give the name back, if `holder` still holds it. */
export async function releaseName(redis: Redis, key: string, holder: Holder): Promise<void> {
  await redis.eval(RELEASE, 1, keys.name(key), holderText(holder));
}

/** The current holder of a name, if any (it may be on a dead node: check its presence). */
export async function nameHolder(redis: Redis, key: string): Promise<Holder | undefined> {
  const v = await redis.get(keys.name(key));
  return v === null ? undefined : parseHolder(v);
}
