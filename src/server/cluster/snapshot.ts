import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { STATE_KEEPER_LOCK_MS, STATE_LOAD_ATTEMPTS } from '../../wire/limits.js';
import type { RoomChange } from '../peers.js';
import type { StoredRoom } from '../store.js';
import { keys } from './keys.js';
import { replay } from './streams.js';

// The journal of shared state (`parley:state`) is kept short by a snapshot: now and then one node writes
// its replica's shared tables to `parley:snapshot`, tagged with the journal position it covers, and the
// journal is trimmed (XTRIM MINID) to the lowest of an earlier snapshot's position and the position every
// live node reported in its heartbeat. A node that starts loads the snapshot and reads the journal from
// there; a node back from an outage long enough that the journal was trimmed past its position does the
// same. Nothing a live node has not applied, and nothing a snapshot does not cover, is ever trimmed.

/** Compare two stream ids (`ms-seq`): negative, zero or positive, as for sort(). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

// KEYS[1] the snapshot hash, KEYS[2] the lock, KEYS[3] the journal. ARGV[1] the lock's token, ARGV[2] the
// snapshot's position ('' for none), ARGV[3] its data, ARGV[4] its time, ARGV[5] the node, ARGV[6] the trim
// bound ('' for none). Only while the lock is the caller's, and only forward: the snapshot if its position
// is past the stored one; the trim mark and XTRIM if the bound is past the mark and not past the stored
// snapshot. Returns {snapshot written, trimmed} as 0/1.
const KEEP = `
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  if am ~= bm then return am < bm end
  return as < bs
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {0, 0} end
local wrote, trimmed = 0, 0
if ARGV[2] ~= '' then
  local pos = redis.call('HGET', KEYS[1], 'pos')
  if not pos or before(pos, ARGV[2]) then
    redis.call('HSET', KEYS[1], 'pos', ARGV[2], 'data', ARGV[3], 'time', ARGV[4], 'node', ARGV[5])
    wrote = 1
  end
end
if ARGV[6] ~= '' then
  local pos = redis.call('HGET', KEYS[1], 'pos')
  local mark = redis.call('HGET', KEYS[1], 'trimmed')
  if pos and not before(pos, ARGV[6]) and (not mark or before(mark, ARGV[6])) then
    redis.call('HSET', KEYS[1], 'trimmed', ARGV[6])
    redis.call('XTRIM', KEYS[3], 'MINID', ARGV[6])
    trimmed = 1
  end
end
return {wrote, trimmed}
`;

// KEYS[1] the lock, ARGV[1] the token: let go of the lock only if it is still the caller's.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Bring a replica up to the journal's end: `load` the snapshot's tables (if there is a snapshot), then
 * `apply` every journal change after the position it covers. If the journal was trimmed past that position
 * while it was read (a newer snapshot was written meanwhile), it starts again from the newer snapshot.
 * Resolves with the position of the last change applied; rejects when Redis cannot be asked.
 */
export async function loadJournal(redis: Redis, load: (data: string) => void, apply: (change: unknown) => void): Promise<string> {
  for (let attempt = 0; attempt < STATE_LOAD_ATTEMPTS; attempt++) {
    const [pos, data] = await redis.hmget(keys.snapshot, 'pos', 'data');
    let from = '0-0';
    if (pos && data) {
      load(data);
      from = pos;
    }
    const last = await replay<{ change?: unknown }>(redis, keys.state, from, (e) => {
      if (e.event.change !== undefined) apply(e.event.change);
    });
    const trimmed = await redis.hget(keys.snapshot, 'trimmed');
    if (trimmed === null || compareIds(trimmed, from) <= 0) return last;
  }
  throw new Error(`the journal was trimmed ${STATE_LOAD_ATTEMPTS} times while this node read it; try again`);
}

/** Whether the journal was trimmed past `position` (a node there has missed changes and must reload). */
export async function trimmedPast(redis: Redis, position: string): Promise<boolean> {
  const trimmed = await redis.hget(keys.snapshot, 'trimmed');
  return trimmed !== null && compareIds(trimmed, position) > 0;
}

/** What one round of keepJournal did. */
export interface KeptJournal {
  /** The position of the snapshot written, if one was. */
  snapshot?: string;
  /** The journal's new lower bound (MINID), if it was trimmed. */
  trimmed?: string;
}

export interface KeeperOptions {
  redis: Redis;
  node: string;
  now: number;
  /** Past this many entries the journal is snapshotted and trimmed (STATE_JOURNAL_MAX). */
  maxEntries: number;
  /** A snapshot is written at most this often (STATE_SNAPSHOT_INTERVAL_MS). */
  minIntervalMs: number;
  /** The replica's shared tables and the journal position they cover; undefined if they cannot be taken now. */
  capture(): Promise<{ pos: string; data: string } | undefined>;
}

/**
 * One round of keeping the journal short, by whichever node gets the lock: past `maxEntries`, write a
 * snapshot (at most every `minIntervalMs`) and trim the journal to the lowest of the snapshot that was
 * there before this round and every live node's reported position. The snapshot before, not the one just
 * written: a node that started a moment ago may be reading the journal from the older one. A live node
 * that reports no position (it keeps no replica) stops all trimming.
 */
export async function keepJournal(o: KeeperOptions): Promise<KeptJournal | undefined> {
  const { redis } = o;
  // XLEN counts the entries in the journal now, exactly (XINFO's entries-added would go on counting what trims removed).
  if ((await redis.xlen(keys.state)) <= o.maxEntries) return undefined;
  const token = `${o.node}:${randomBytes(8).toString('hex')}`;
  if ((await redis.set(keys.snapshotLock, token, 'PX', STATE_KEEPER_LOCK_MS, 'NX')) !== 'OK') return undefined;
  try {
    const [before = null, time = null, trimmed = null] = await redis.hmget(keys.snapshot, 'pos', 'time', 'trimmed');
    let snap: { pos: string; data: string } | undefined;
    if (before === null || o.now - Number(time) >= o.minIntervalMs) {
      snap = await o.capture();
      if (snap && before !== null && compareIds(snap.pos, before) <= 0) snap = undefined;
    }
    let bound: string | undefined;
    const positions = before === null ? undefined : await livePositions(redis);
    if (before !== null && positions !== undefined) {
      bound = positions.reduce((low, p) => (compareIds(p, low) < 0 ? p : low), before);
      if (trimmed !== null && compareIds(bound, trimmed) <= 0) bound = undefined;
    }
    if (!snap && bound === undefined) return {};
    const [wrote, cut] = (await redis.eval(KEEP, 3, keys.snapshot, keys.snapshotLock, keys.state, token, snap?.pos ?? '', snap?.data ?? '', o.now, o.node, bound ?? '')) as [number, number];
    return { ...(wrote === 1 && { snapshot: snap!.pos }), ...(cut === 1 && { trimmed: bound! }) };
  } finally {
    await redis.eval(RELEASE, 1, keys.snapshotLock, token);
  }
}

/** The journal position each live node reported in its heartbeat; undefined if one reported none. */
async function livePositions(redis: Redis): Promise<string[] | undefined> {
  const ids = await redis.zrange(keys.nodes, 0, -1);
  if (ids.length === 0) return [];
  const infos = await redis.mget(ids.map((id) => keys.node(id)));
  const out: string[] = [];
  for (const raw of infos) {
    if (raw === null) continue; // not alive: it reloads if it comes back past the trim
    let journal: unknown;
    try {
      journal = (JSON.parse(raw) as { journal?: unknown }).journal;
    } catch {
      return undefined;
    }
    if (typeof journal !== 'string') return undefined;
    out.push(journal);
  }
  return out;
}

/**
 * The room changes that turn `before` into `after` (a replica reloaded from a snapshot): what the rooms in
 * a server's memory must follow. A room's creation time is not in StoredRoom and is not used by the rooms
 * in memory, so it is given as 0.
 */
export function roomChangesBetween(before: readonly StoredRoom[], after: readonly StoredRoom[]): RoomChange[] {
  const out: RoomChange[] = [];
  const now = new Map(after.map((r) => [r.key, r]));
  for (const r of before) if (!now.has(r.key)) out.push({ op: 'dropRoom', key: r.key });
  const was = new Map(before.map((r) => [r.key, r]));
  for (const r of after) {
    const old = was.get(r.key);
    const room = r.key;
    if (!old) out.push({ op: 'addRoom', key: r.key, name: r.name, created: 0 });
    if (!old || old.topic !== r.topic || old.topicBy !== r.topicBy || old.topicTime !== r.topicTime) out.push({ op: 'setTopic', room, topic: r.topic, by: r.topicBy, time: r.topicTime });
    if (!old || old.locked !== r.locked) out.push({ op: 'setLocked', room, locked: r.locked });
    for (const key of gone(old?.operators, r.operators)) out.push({ op: 'dropOperator', room, key });
    for (const o of r.operators) out.push({ op: 'addOperator', room, key: o.key, name: o.name });
    for (const key of gone(old?.bans, r.bans)) out.push({ op: 'dropBan', room, key });
    for (const ban of r.bans) out.push({ op: 'addBan', room, ban });
    for (const key of gone(old?.mutes, r.mutes)) out.push({ op: 'dropMute', room, key });
    for (const m of r.mutes) out.push({ op: 'addMute', room, key: m.key, until: m.until });
    const members = new Set(r.members);
    for (const k of old?.members ?? []) if (!members.has(k)) out.push({ op: 'dropMember', room, key: k });
    for (const k of r.members) out.push({ op: 'addMember', room, key: k });
  }
  return out;
}

/** The keys of `was` that `now` no longer has, in `was`'s order: one set of `now`'s keys, so linear in both. */
function gone(was: readonly { key: string }[] | undefined, now: readonly { key: string }[]): string[] {
  if (!was || was.length === 0) return [];
  const kept = new Set(now.map((x) => x.key));
  return was.filter((x) => !kept.has(x.key)).map((x) => x.key);
}
