import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CLUSTER_CATCH_UP_MS, CLUSTER_HEARTBEAT_MS, CLUSTER_ID_BLOCK, NODE_TTL_MS, ROTATION_CLAIM_TTL_MS, STATE_CAPTURE_TURNS, STATE_JOURNAL_MAX, STATE_SNAPSHOT_INTERVAL_MS, STREAM_MAX_LEN } from '../../wire/limits.js';
import { claimAccount, journalEntry } from './accounts.js';
import { keys } from './keys.js';
import { claimName, releaseName, type ClaimResult, type Holder } from './names.js';
import { aliveNodes, heartbeat, knownNodes, nodeUsers, withdraw, type NodeInfo } from './presence.js';
import { openRedis, whenReady, type RedisAddress } from './redis.js';
import { compareIds, keepJournal, loadJournal, trimmedPast } from './snapshot.js';
import { lastId, publish, recent, SEQ_FIELD, StreamReader, type StreamEntry } from './streams.js';

// The bus between the nodes of one cluster: one node's view of Redis. It owns two connections (commands,
// and the blocking stream reader), the heartbeat, the detection of dead nodes and the blocks of message
// ids. It knows nothing of chat: it carries events (plain JSON objects with the sending node's id) and
// tells its owner what happened — an event from another node, a node that died, the link going down or
// coming back. The hub side (src/server/cluster/node.ts) decides what they mean for the room.

/** Every event on the bus carries the id of the node that published it. */
export interface BusEvent {
  node: string;
  kind: string;
}

export interface BusOptions {
  redis: RedisAddress;
  /** This node's id (random if not given); unique per process run. */
  nodeId?: string;
  /** Where this node's clients connect, for `cluster status`. */
  host: string;
  port: number;
  clock?: () => number;
  heartbeatMs?: number;
  ttlMs?: number;
  /** Ids handed to this node at a time (CLUSTER_ID_BLOCK; tests lower it); the next block is fetched when half is used. */
  idBlock?: number;
  /** Journal entries past which the journal is snapshotted and trimmed (STATE_JOURNAL_MAX). */
  journalMax?: number;
  /** Shortest time between two snapshots (STATE_SNAPSHOT_INTERVAL_MS). */
  snapshotIntervalMs?: number;
  /** How long start() waits for Redis before it gives up. */
  connectTimeoutMs?: number;
  log?: (event: string, fields: Record<string, string | number | boolean | undefined>) => void;
}

/** What the bus tells its owner. All are called on the event loop, never re-entrantly from a bus call. */
export interface BusHandlers {
  /**
   * An event another node published (room stream) or sent to this node (its inbox), in stream order; on
   * the room stream also this node's own sequenced events (publishBatch `sequenced`), read back in their
   * place in that order, with `seq` the number Redis gave them.
   */
  event(event: BusEvent, stream: 'room' | 'inbox', id: string, seq?: number): void;
  /** A node's presence lapsed: it died or lost Redis. Its users are gone. */
  nodeDown(node: string): void;
  /** The link to Redis went down or came back (after a `down`, `up` means this node may have missed presence: resync). */
  link(state: 'up' | 'down', detail: string): void;
  /** The users of this node, folded name -> display name, for the heartbeat. */
  users(): ReadonlyMap<string, string>;
  /**
   * A change to shared state from the journal (`parley:state`): at start every entry from the first (this
   * node's own of an earlier run too), then those of other nodes as they come. Without it the journal is not read.
   */
  state?(change: unknown): void;
  /**
   * Replace the replica's shared tables with a snapshot's (Store.loadShared): at start before the journal
   * after it is applied, or when this node finds the journal trimmed past its position (it was away), then
   * followed by the journal's changes and reloaded().
   */
  load?(data: string): void;
  /** A reload (load, then the journal after the snapshot) is complete: the replica is current again. */
  reloaded?(): void;
  /** The replica's shared tables (Store.dumpShared), for a snapshot; with it this node helps keep the journal short. */
  snapshot?(): string;
}

// KEYS[1] rooms hash, KEYS[2] state stream. ARGV[1] folded room, ARGV[2] its name, ARGV[3] the journal entry.
// Returns 1 when this call created the room (its journal entry written in the same step), or the name
// of the room that exists.
const CREATE_ROOM = `
local had = redis.call('HGET', KEYS[1], ARGV[1])
if had then return had end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
return 1
`;

// KEYS[1] the id counter, KEYS[2] the room stream. ARGV[1] the stream's approximate length, ARGV[2] the
// event. The entry gets the next number of the counter (field SEQ_FIELD) in the same step as its place in
// the stream, so the numbers increase in stream order: one order for the cluster. The counter is the one
// the id blocks come from, so a number is never also a block's id.
const SEQUENCE = `
local n = redis.call('INCR', KEYS[1])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2], '${SEQ_FIELD}', n)
`;

// KEYS[1] the token's rotation key, KEYS[2] state stream. ARGV[1] node, ARGV[2] its TTL (ms), ARGV[3] the
// journal entry. 1 when this call rotated the token (journaled in the same step), 0 when it was rotated before.
const ROTATE_SESSION = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
return 1
`;

/** A caller of caughtUp(): the journal position it waits for (once Redis said it), and how to let it go. */
interface CatchUp {
  target: string | undefined;
  done: () => void;
}

export class ClusterBus {
  readonly nodeId: string;
  private readonly cmd: Redis;
  private readonly readerConn: Redis;
  private reader: StreamReader<BusEvent> | undefined;
  private readonly clock: () => number;
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly idBlock: number;
  private readonly log: NonNullable<BusOptions['log']>;
  private readonly started: number;
  private handlers: BusHandlers | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private beating = false;
  /** Other nodes seen alive; one that is no longer alive at a heartbeat is reported down once. */
  private readonly peers = new Set<string>();
  /** Message ids: the current block [next, end) and the one fetched ahead. */
  private ids = { next: 0, end: 0 };
  private spareIds: { next: number; end: number } | undefined;
  private fetchingIds = false;
  private fallbackIds = 0;
  private linkUp = false;
  private address: { host: string; port: number };
  private stopped = false;
  /** Scripts that journal a change this node applies only when Redis answers: no snapshot while one is out. */
  private inflight = 0;
  private keeping = false;
  /** The replica is being reloaded from a snapshot (no snapshot of it is taken meanwhile). */
  private reloading = false;
  /** Callers of caughtUp() waiting for the reader to reach a journal position. */
  private readonly catchUps = new Set<CatchUp>();
  /** journalEnd(): the XREVRANGE out, and the one to send after it for the callers that came meanwhile. */
  private endAsked: Promise<string> | undefined;
  private endNext: Promise<string> | undefined;
  /** The journal position the replica reached at start (reported until the reader runs). */
  private journalFrom: string | undefined;

  constructor(private readonly opts: BusOptions) {
    this.nodeId = opts.nodeId ?? randomBytes(6).toString('hex');
    this.clock = opts.clock ?? Date.now;
    this.heartbeatMs = opts.heartbeatMs ?? CLUSTER_HEARTBEAT_MS;
    this.ttlMs = opts.ttlMs ?? NODE_TTL_MS;
    this.idBlock = opts.idBlock ?? CLUSTER_ID_BLOCK;
    this.log = opts.log ?? (() => {});
    this.started = this.clock();
    this.address = { host: opts.host, port: opts.port };
    this.cmd = openRedis(opts.redis, `parley:${this.nodeId}:cmd`, (state, detail) => this.onLink(state, detail));
    this.readerConn = openRedis(opts.redis, `parley:${this.nodeId}:read`);
  }

  /** Where this node's clients connect (known once it listens), for its presence. */
  setAddress(host: string, port: number): void {
    this.address = { host, port };
    void this.beat();
  }

  /** Whether the command connection is up: false means what needs Redis must be refused. */
  get up(): boolean {
    return this.linkUp && this.cmd.status === 'ready';
  }

  /** The command connection, for modules that keep shared state in Redis (accounts, blocks). */
  get redis(): Redis {
    return this.cmd;
  }

  /**
   * Connect, fetch a block of ids, beat once, learn the live peers, and start reading the room stream from
   * its current end and this node's inbox from its start. Rejects with a one-line reason if Redis cannot
   * be reached within connectTimeoutMs (the server then exits: a node that never joined must not run).
   */
  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    const timeout = this.opts.connectTimeoutMs ?? 10_000;
    await whenReady(this.cmd, this.opts.redis, timeout);
    this.linkUp = true;
    this.ids = await this.fetchIds();
    // The journal first: XREAD answers streams in the order asked, so a room's creation (state) is applied
    // before the events in it, read in the same call.
    const from: Record<string, string> = {};
    if (handlers.state) {
      const apply = handlers.state.bind(handlers);
      from[keys.state] = await loadJournal(this.cmd, (data) => handlers.load?.(data), apply);
      this.journalFrom = from[keys.state];
    }
    from[keys.events] = await lastId(this.cmd, keys.events);
    from[keys.inbox(this.nodeId)] = '0-0';
    await this.beat();
    this.reader = new StreamReader<BusEvent>(
      this.readerConn,
      from,
      (stream, entries) => this.deliver(stream, entries),
      { error: (err) => this.log('cluster_error', { during: 'read', error: err.message }), afterRead: (stream, from) => this.reloadIfTrimmed(stream, from) },
    );
    this.reader.start();
    this.beatTimer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.beatTimer.unref();
  }

  /** Publish to the room stream (every other node handles it). Resolves with its stream id once Redis has it. */
  publish(event: Omit<BusEvent, 'node'> & Record<string, unknown>): Promise<string> {
    return publish(this.cmd, keys.events, { ...event, node: this.nodeId });
  }

  /** Send to one node's inbox. */
  sendTo(node: string, event: Omit<BusEvent, 'node'> & Record<string, unknown>): Promise<string> {
    return publish(this.cmd, keys.inbox(node), { ...event, node: this.nodeId });
  }

  /**
   * Publish several events in one MULTI/EXEC: to the room stream, or (`to`) to a node's inbox. Redis
   * applies all or none, so events that belong together (a message and the record of its ref) cannot
   * be split by this process dying between two writes. Resolves once Redis has applied them. A
   * `sequenced` event (room stream only) gets its number from Redis and comes back to this node's
   * handler too, in its place in the stream.
   */
  async publishBatch(items: { to?: string | undefined; event: Omit<BusEvent, 'node'> & Record<string, unknown>; sequenced?: boolean }[]): Promise<void> {
    const m = this.cmd.multi();
    for (const { to, event, sequenced } of items) {
      const body = JSON.stringify({ ...event, node: this.nodeId });
      if (sequenced && to === undefined) m.eval(SEQUENCE, 2, keys.ids, keys.events, STREAM_MAX_LEN, body);
      else m.xadd(to === undefined ? keys.events : keys.inbox(to), 'MAXLEN', '~', STREAM_MAX_LEN, '*', 'e', body);
    }
    const results = await m.exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed) throw failed?.[0] ?? new Error('the batch was discarded');
  }

  /** Journal a change to shared state (trimmed only behind a snapshot and every live node: snapshot.ts). */
  journal(change: unknown): Promise<string> {
    return publish(this.cmd, keys.state, { node: this.nodeId, kind: 'state', change }, null);
  }

  /**
   * Register a name cluster-wide: true for exactly one of several nodes racing for the same folded name,
   * with `change` journaled in the same step.
   */
  async claimAccount(key: string, change: unknown): Promise<boolean> {
    return this.scripted(() => claimAccount(this.cmd, this.nodeId, key, change));
  }

  /**
   * Create a room cluster-wide: true for exactly one of several nodes racing for the same folded name,
   * with `change` (its addRoom) journaled in the same step; otherwise the name of the room that exists.
   */
  async createRoom(key: string, name: string, change: unknown): Promise<true | string> {
    const got = await this.scripted(() => this.cmd.eval(CREATE_ROOM, 2, keys.rooms, keys.state, key, name, journalEntry(this.nodeId, change)));
    return got === 1 ? true : String(got);
  }

  /**
   * Rotate the session token whose hash is `oldHash`, cluster-wide: true for exactly one of several nodes
   * resuming with it at once, with `change` (its rotateSession) journaled in the same step.
   */
  async claimRotation(oldHash: string, change: unknown): Promise<boolean> {
    return (await this.scripted(() => this.cmd.eval(ROTATE_SESSION, 2, keys.rotated(oldHash), keys.state, this.nodeId, ROTATION_CLAIM_TTL_MS, journalEntry(this.nodeId, change)))) === 1;
  }

  /**
   * A script that journals a change this node applies to its replica only once Redis has answered: counted,
   * so a snapshot is never taken between the journal having it and the replica having it.
   */
  private async scripted<T>(run: () => Promise<T>): Promise<T> {
    this.inflight++;
    try {
      return await run();
    } finally {
      this.inflight--;
    }
  }

  /** Journal a room's end (`change`, its dropRoom) and free its name for the next creator, in one step. */
  async forgetRoom(key: string, change: unknown): Promise<void> {
    const results = await this.cmd.multi().hdel(keys.rooms, key).xadd(keys.state, '*', 'e', journalEntry(this.nodeId, change)).exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed) throw failed?.[0] ?? new Error('the room was not forgotten');
  }

  /** The newest `count` room events, oldest first (this node's included): history for a node that starts. */
  recentEvents(count: number): Promise<StreamEntry<BusEvent>[]> {
    return recent<BusEvent>(this.cmd, keys.events, count);
  }

  /** Claim a folded name for one of this node's connections. */
  claim(key: string, conn: number, force = false): Promise<ClaimResult> {
    return claimName(this.cmd, key, { node: this.nodeId, conn }, force);
  }

  release(key: string, conn: number): Promise<void> {
    return releaseName(this.cmd, key, { node: this.nodeId, conn });
  }

  /** The users of every other live node: node -> (folded name -> display name). */
  async peerUsers(): Promise<Map<string, Map<string, string>>> {
    const nodes = (await knownNodes(this.cmd)).map((n) => n.id).filter((n) => n !== this.nodeId);
    const alive = await aliveNodes(this.cmd, nodes);
    const out = new Map<string, Map<string, string>>();
    for (const n of alive) {
      this.peers.add(n);
      out.set(n, await nodeUsers(this.cmd, n));
    }
    return out;
  }

  /**
   * The next message id, unique across the cluster: from this node's block, fetched ahead from Redis. If
   * the blocks ran out while Redis was away (more than a block of messages), ids fall back to the clock
   * (ms x 1000 + a counter), far above any block and unique unless two nodes are in the same state in
   * the same millisecond.
   */
  nextId(): number {
    if (this.ids.next >= this.ids.end && this.spareIds) {
      this.ids = this.spareIds;
      this.spareIds = undefined;
    }
    if (!this.spareIds && this.ids.end - this.ids.next < this.idBlock / 2) this.prefetchIds();
    if (this.ids.next < this.ids.end) return this.ids.next++;
    return this.clock() * 1000 + (this.fallbackIds++ % 1000);
  }

  /**
   * Read-your-writes across servers: resolves once this node has applied the journal (`parley:state`) up
   * to the entry that was its last in Redis when called, so a change another node acknowledged before
   * (an account registered, a password changed, a token issued) is in the replica; or after `maxWaitMs`
   * (Redis slow, or this node's reader cut off), or at once when Redis is away (the command fails at once:
   * no offline queue), when the caller goes on with the replica as it is. Never rejects. Costs a share of
   * one XREVRANGE (journalEnd), and a wait only while the reader is behind (its XREAD returns as soon as
   * entries arrive).
   */
  caughtUp(maxWaitMs = CLUSTER_CATCH_UP_MS): Promise<void> {
    if (!this.handlers?.state || !this.reader || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: CatchUp = {
        target: undefined,
        done: () => {
          clearTimeout(timer);
          this.catchUps.delete(waiter);
          resolve();
        },
      };
      // Unreferenced: a login waiting here must not keep a stopping process alive.
      const timer = setTimeout(waiter.done, maxWaitMs).unref();
      this.catchUps.add(waiter);
      this.journalEnd().then(
        (target) => {
          waiter.target = target;
          if (this.holds(target)) waiter.done();
        },
        () => waiter.done(),
      );
    });
  }

  /**
   * The journal's last id in Redis, asked by one XREVRANGE at a time: a caller that comes while one is out
   * waits for the next, sent when that one returns (the one out may have been answered before the change
   * the caller must see), so any number of logins at once cost one command per round trip.
   */
  private journalEnd(): Promise<string> {
    if (this.endAsked === undefined) return this.askJournalEnd();
    this.endNext ??= this.endAsked
      .catch(() => undefined)
      .then(() => {
        this.endNext = undefined;
        return this.askJournalEnd();
      });
    return this.endNext;
  }

  private askJournalEnd(): Promise<string> {
    const asked = lastId(this.cmd, keys.state).finally(() => {
      if (this.endAsked === asked) this.endAsked = undefined;
    });
    this.endAsked = asked;
    return asked;
  }

  /** Whether the replica holds the journal up to `id`: read that far, and not in the middle of a reload. */
  private holds(id: string): boolean {
    const position = this.reader?.position(keys.state);
    return !this.reloading && position !== undefined && compareIds(position, id) >= 0;
  }

  /** Let go the caughtUp() callers whose position the reader has now applied. */
  private settleCatchUps(): void {
    for (const w of this.catchUps) if (w.target !== undefined && this.holds(w.target)) w.done();
  }

  /** Leave the cluster: stop beating and reading, withdraw presence (if Redis is there), close connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.beatTimer);
    for (const w of this.catchUps) w.done();
    await this.reader?.stop();
    if (this.cmd.status === 'ready') {
      await withdraw(this.cmd, this.nodeId).catch(() => {});
    }
    this.cmd.disconnect();
  }

  private deliver(stream: string, entries: StreamEntry<BusEvent>[]): void {
    const kind = stream === keys.events ? 'room' : 'inbox';
    for (const { id, event, seq } of entries) {
      if (typeof event !== 'object' || event === null || typeof event.node !== 'string' || typeof event.kind !== 'string') continue;
      if (stream === keys.state) {
        // Our own changes were applied when we made them.
        if (event.node !== this.nodeId) this.guard('state', () => this.handlers?.state?.((event as unknown as { change: unknown }).change));
        continue;
      }
      // Our own, already handled locally; but a sequenced one is handled in its place in the stream.
      if (kind === 'room' && event.node === this.nodeId && seq === undefined) continue;
      if (event.node !== this.nodeId) this.peers.add(event.node);
      this.guard(`event ${event.kind}`, () => this.handlers?.event(event, kind, id, seq));
    }
    if (stream === keys.state) this.settleCatchUps();
  }

  /** A handler that throws is logged; the next entry is handled as usual. */
  private guard(during: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.log('cluster_error', { during, error: (err as Error).message, stack: (err as Error).stack });
    }
  }

  private onLink(state: 'up' | 'down', detail: string): void {
    if (this.stopped || !this.handlers) return;
    this.linkUp = state === 'up';
    this.log(state === 'up' ? 'cluster_up' : 'cluster_down', { node: this.nodeId, detail });
    if (state === 'up') void this.beat();
    this.handlers.link(state, detail);
  }

  /** Renew presence, then report peers whose presence lapsed. Never throws: a failed beat is logged and retried at the next. */
  private async beat(): Promise<void> {
    if (this.beating || this.stopped || !this.handlers) return;
    this.beating = true;
    try {
      const users = this.handlers.users();
      const now = this.clock();
      const journal = this.handlers.state ? (this.reader?.position(keys.state) ?? this.journalFrom) : undefined;
      const info: NodeInfo = { id: this.nodeId, host: this.address.host, port: this.address.port, pid: process.pid, started: this.started, beat: now, users: users.size, ...(journal !== undefined && { journal }) };
      await heartbeat(this.cmd, info, users, this.ttlMs);
      const nodes = (await knownNodes(this.cmd)).map((n) => n.id).filter((n) => n !== this.nodeId);
      const alive = await aliveNodes(this.cmd, nodes);
      for (const n of alive) this.peers.add(n);
      for (const n of [...this.peers]) {
        if (alive.has(n)) continue;
        this.peers.delete(n);
        this.log('node_down', { node: n });
        this.handlers.nodeDown(n);
      }
    } catch (err) {
      this.log('cluster_error', { during: 'heartbeat', error: (err as Error).message });
    } finally {
      this.beating = false;
    }
    void this.keepJournal();
  }

  /** Snapshot and trim the journal if it grew past its bound (one node at a time; see snapshot.ts). */
  private async keepJournal(): Promise<void> {
    if (this.keeping || this.stopped || !this.up || !this.handlers?.snapshot || !this.reader) return;
    this.keeping = true;
    try {
      const kept = await keepJournal({
        redis: this.cmd,
        node: this.nodeId,
        now: this.clock(),
        maxEntries: this.opts.journalMax ?? STATE_JOURNAL_MAX,
        minIntervalMs: this.opts.snapshotIntervalMs ?? STATE_SNAPSHOT_INTERVAL_MS,
        capture: () => this.capture(),
      });
      if (kept?.snapshot !== undefined || kept?.trimmed !== undefined) this.log('journal_kept', { snapshot: kept.snapshot, trimmed: kept.trimmed });
    } catch (err) {
      this.log('cluster_error', { during: 'snapshot', error: (err as Error).message });
    } finally {
      this.keeping = false;
    }
  }

  /**
   * The replica's shared tables and the journal position they cover. Taken in a turn of its own when no
   * script of this node's is out (its change would be in the journal, below the position, but not yet in
   * the replica) and the reader is not reloading; every entry up to the reader's position is applied, and
   * without a gap (each read that crossed a trim was checked before it was applied: reloadIfTrimmed). A
   * replica behind a trim it has not read across yet is whole but old: the snapshot script refuses it,
   * as it writes only past the stored snapshot, which is at or past the trim mark.
   */
  private async capture(): Promise<{ pos: string; data: string } | undefined> {
    for (let turn = 0; turn < STATE_CAPTURE_TURNS; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.stopped || !this.reader || !this.handlers?.snapshot) return undefined;
      if (this.inflight === 0 && !this.reloading) return { pos: this.reader.position(keys.state)!, data: this.handlers.snapshot() };
    }
    return undefined;
  }

  /**
   * After an XREAD answered journal entries read from `from`: if the trim mark is past `from`, the journal
   * was trimmed past this node (it was seen gone: it lost Redis, or its heartbeats stalled) and the answer
   * starts after entries it never applied. The mark and the XTRIM are written in one MULTI, so a mark read
   * after the XREAD covers every trim that read could have crossed, whenever this node's presence lapsed.
   * Then the replica is reloaded from the snapshot and the journal after it, the answer's entries are
   * dropped (true) and the reader reads on from the reload's end.
   */
  private async reloadIfTrimmed(stream: string, from: string): Promise<boolean> {
    const handlers = this.handlers;
    if (stream !== keys.state || !handlers?.state || !handlers.load || !this.reader) return false;
    if (!(await trimmedPast(this.readerConn, from))) return false;
    this.log('journal_reload', { node: this.nodeId, from });
    this.reloading = true;
    try {
      const last = await loadJournal(this.readerConn, (data) => handlers.load!(data), (change) => this.guard('state', () => handlers.state!(change)));
      this.reader.seek(keys.state, last);
      handlers.reloaded?.();
      return true;
    } finally {
      this.reloading = false;
      this.settleCatchUps();
    }
  }

  private async fetchIds(): Promise<{ next: number; end: number }> {
    const end = Number(await this.cmd.incrby(keys.ids, this.idBlock));
    return { next: end - this.idBlock + 1, end: end + 1 };
  }

  private prefetchIds(): void {
    if (this.fetchingIds || !this.up) return;
    this.fetchingIds = true;
    this.fetchIds().then(
      (block) => {
        this.spareIds = block;
        this.fetchingIds = false;
      },
      (err: Error) => {
        this.fetchingIds = false;
        this.log('cluster_error', { during: 'ids', error: err.message });
      },
    );
  }
}
