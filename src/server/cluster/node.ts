import { CLUSTER_MAX_PENDING, CLUSTER_SEEN_IDS } from '../../wire/limits.js';
import type { LeaveReason } from '../../wire/messages.js';
import { foldRoom } from '../../wire/rooms.js';
import { foldName, nameSkeleton } from '../../wire/names.js';
import type { Accepted } from '../accepted.js';
import type { Rotation } from '../accounts.js';
import { hashToken, type StoredRoom } from '../store.js';
import type { RoomEvent } from '../events.js';
import type { Hub } from '../hub.js';
import type { MessageEvent, Peers, RoomChange, SequencedRef, WhisperEvent } from '../peers.js';
import type { ConnId } from '../session.js';
import { ClusterBus, type BusEvent } from './bus.js';
import { parseRedisUrl } from './redis.js';
import { isRoomChange, ReplicaStore, type StateChange } from './replica.js';
import { roomChangesBetween } from './snapshot.js';

// One server's membership of a cluster: the bridge between its hub and the bus. It keeps the roster of
// users on the other nodes (from their joins, leaves and renames, their heartbeats, and their deaths),
// publishes this node's room events, routes whispers to the node of their recipient, and feeds the
// others' events to the hub. While Redis is away, room events wait here in order and go out when it is
// back; whispers to other nodes and name claims are refused meanwhile (the hub says why).

/** What travels on the bus (besides BusEvent's node and kind). */
type Wire =
  /**
   * A room event. A sequenced message (`tok`: its node and a number of that node's) has no id of its own:
   * Redis numbers it (bus.ts SEQUENCE), and `acc` is the record of its ref, travelling with it.
   */
  | { kind: 'room'; room: string; event: RoomEvent; tok?: string; acc?: SequencedRef }
  | { kind: 'accepted'; sender: string; ref: string; entry: Accepted }
  /**
   * All the users of the sending node, whom its guests block, which guests are operators of which room
   * ([room, name]), who is away ([name, message, since]) and who is outside the default room (IRC clients of
   * a gateway with --irc-no-default-room): what a node that starts cannot find in the journal.
   */
  | { kind: 'sync'; users: [string, string][]; guests?: GuestBlocks; ops?: [string, string][]; away?: [string, string, number][]; outside?: string[] }
  /** A user of the sending node online outside the default room (and every room), renamed from `old` if given. */
  | { kind: 'here'; name: string; old?: string }
  | { kind: 'whisper'; to: string; event: WhisperEvent }
  | { kind: 'kick'; conn: number; name: string }
  /** A guest of the sending node changed whom it blocks: its whole list (a guest's blocks live in memory). */
  | { kind: 'blocks'; guests: GuestBlocks };

/** Guests (display name) and the names (folded) each blocks. */
type GuestBlocks = [string, string[]][];

/** An event on its way: to the room stream, or (`to`) to one node's inbox. */
interface Outgoing {
  w: Wire;
  to?: string;
  sequenced?: boolean;
}

export interface ClusterNodeOptions {
  log?: (event: string, fields: Record<string, string | number | boolean | undefined>) => void;
  /** Room messages to load into the local history at start (the hub's --history). */
  historySize?: number;
  /** Events kept while Redis is away before the oldest are dropped (CLUSTER_MAX_PENDING; tests lower it). */
  maxPending?: number;
}

export class ClusterNode implements Peers {
  private hub: Hub | undefined;
  /** Users on other nodes: folded name -> where, under which display name, and (a guest's) whom they block. */
  private readonly remote = new Map<string, { node: string; name: string; blocks?: ReadonlySet<string> }>();
  /**
   * Nodes known to know who is here. One heard from for the first time (it just started) gets this node's
   * sync: its view of presence may be up to a heartbeat old, and it knows nothing of the guests' blocks.
   */
  private readonly known = new Set<string>();
  /** The journal has been replayed: its later room changes go to the hub's rooms too. */
  private replayed = false;
  /** Room events not yet in Redis (it was away), oldest first. */
  private pending: Outgoing[] = [];
  /** Events of the current turn of the event loop, sent together at its end. */
  private readonly turn: Outgoing[] = [];
  private flushing = false;
  /** Work for the hub that came before attach(). */
  private readonly early: Array<() => void> = [];
  /** Ids of messages and whispers handled lately, to drop a copy sent again. */
  private readonly seen = new Set<number | string>();
  private readonly seenRing: (number | string | undefined)[] = new Array<number | string | undefined>(CLUSTER_SEEN_IDS);
  /** This node's sequenced messages on their way through Redis: token -> what the hub does with the number, or if the line is dropped. */
  private readonly sequencing = new Map<string, { done: (id: number) => void; lost: () => void }>();
  private nextTok = 0;
  private seenNext = 0;
  private peersAtStart = new Map<string, Map<string, string>>();
  /** While the replica is reloaded from a snapshot: its rooms and accounts before. */
  private beforeReload: { rooms: StoredRoom[]; users: Set<string> } | undefined;
  private readonly log: NonNullable<ClusterNodeOptions['log']>;

  constructor(
    readonly bus: ClusterBus,
    private readonly store: ReplicaStore | undefined,
    private readonly opts: ClusterNodeOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
  }

  get up(): boolean {
    return this.bus.up;
  }

  /** Room lines of this node's users waiting for their number from Redis (each gets it, or its sender an error). */
  get sequencingCount(): number {
    return this.sequencing.size;
  }

  /**
   * Join the cluster: replay the shared state into the replica, learn who is on the other nodes and the
   * recent history, and start taking events (held until attach()). Rejects with a one-line reason when
   * Redis cannot be reached.
   */
  async start(): Promise<void> {
    await this.bus.start({
      event: (e, stream, _id, seq) => this.later(() => this.onEvent(e as BusEvent & Wire, stream, seq)),
      nodeDown: (node) => this.later(() => this.nodeDown(node)),
      link: (state) => this.later(() => this.onLink(state)),
      users: () => this.localUsers(),
      ...(this.store && {
        state: (change: unknown) => this.applyState(change as StateChange),
        load: (data: string) => this.loadSnapshot(data),
        reloaded: () => this.reloaded(),
        snapshot: () => this.store!.dumpShared(),
      }),
    });
    this.replayed = true;
    if (this.store) {
      const bus = this.bus;
      this.store.attach({
        get up() {
          return bus.up;
        },
        append: (change) => {
          // A room's end frees its name for the next creator in the same step.
          const written = change.op === 'dropRoom' ? bus.forgetRoom(change.key, change) : bus.journal(change);
          written.catch((err: Error) => this.log('cluster_error', { during: 'journal', op: change.op, error: err.message }));
        },
      });
    }
    const history = this.opts.historySize ?? 0;
    if (this.store && history > 0) {
      for (const { event, seq } of await this.bus.recentEvents(history * 4)) {
        const w = event as BusEvent & Wire;
        if (w.kind === 'room' && w.event.type === 'message') this.keepHistory(seq === undefined ? w.event : { ...w.event, id: seq });
      }
    }
    this.peersAtStart = await this.bus.peerUsers();
    for (const node of this.peersAtStart.keys()) this.known.add(node);
  }

  /**
   * A change from the journal: into the replica; a room's also into the hub's rooms once the hub was built
   * from the replica (changes applied to both are idempotent, so one read at start and again here is harmless).
   */
  private applyState(change: StateChange): void {
    this.store!.apply(change);
    if (this.beforeReload) return; // the hub learns the difference when the reload is complete
    if (this.replayed && isRoomChange(change)) this.later(() => this.hub!.roomChanged(change));
    // A password changed or an account removed elsewhere (another node, `parley-server user --redis`) ends its live
    // login here; that, or an administrator made an ordinary account, ends the administrator rights resting on it.
    if (this.replayed && (change.op === 'setHash' || change.op === 'removeUser' || change.op === 'setAdmin')) this.later(() => this.hub!.accountsChanged(new Set([change.key])));
  }

  /**
   * A snapshot of the shared state replaces the replica's: at start, or (replayed) because the journal was
   * trimmed past this node while it was away. Then the rooms as they were are kept, to tell the hub what
   * changed once the journal after the snapshot is applied too.
   */
  private loadSnapshot(data: string): void {
    if (this.replayed) this.beforeReload ??= { rooms: this.store!.rooms(), users: new Set(this.store!.users().map((u) => u.key)) };
    this.store!.loadShared(data);
  }

  /** A reload is complete: the hub's rooms follow the replica, and logins resting on what changed end. */
  private reloaded(): void {
    const before = this.beforeReload;
    this.beforeReload = undefined;
    if (!before) return;
    const changes = roomChangesBetween(before.rooms, this.store!.rooms());
    const users = new Set([...before.users, ...this.store!.users().map((u) => u.key)]);
    this.later(() => {
      for (const c of changes) this.hub!.roomChanged(c);
      this.hub!.accountsChanged(users);
    });
  }

  /** The hub is there: it gets the users of the other nodes, then every event that came meanwhile. */
  attach(hub: Hub, host: string, port: number): void {
    this.hub = hub;
    this.bus.setAddress(host, port);
    for (const [node, users] of this.peersAtStart) {
      for (const [key, name] of users) this.addRemote(node, key, name, false);
    }
    this.peersAtStart.clear();
    for (const work of this.early.splice(0)) work();
    // Tell the others at once that this node is here, and with whom (nobody yet, or a resync).
    this.sendSync();
  }

  /** Tell the others who is on this node, and whom its guests block. */
  private sendSync(): void {
    const guests = this.hub!.guestBlocks();
    const { ops, away, outside } = this.hub!.passing();
    this.send({
      kind: 'sync',
      users: [...this.localUsers()],
      ...(guests.length > 0 && { guests }),
      ...(ops.length > 0 && { ops }),
      ...(away.length > 0 && { away }),
      ...(outside.length > 0 && { outside }),
    });
  }

  private later(work: () => void): void {
    if (this.hub) work();
    else this.early.push(work);
  }

  /** Leave the cluster cleanly: the others drop this node's users at once. */
  async stop(): Promise<void> {
    await this.bus.stop();
  }

  // ---- Peers: what the hub asks ----

  remoteName(key: string): string | undefined {
    return this.remote.get(key)?.name;
  }

  remoteUsers(): ReadonlyMap<string, string> {
    const out = new Map<string, string>();
    for (const [key, r] of this.remote) out.set(key, r.name);
    return out;
  }

  online(name: string, old?: string): void {
    this.send({ kind: 'here', name, ...(old !== undefined && { old }) });
  }

  publish(room: string, event: RoomEvent): void {
    this.send({ kind: 'room', room, event });
  }

  accepted(sender: string, ref: string, entry: Accepted): void {
    this.send({ kind: 'accepted', sender, ref, entry });
  }

  sequence(room: string, event: Omit<MessageEvent, 'id'>, accepted: SequencedRef | undefined, done: (id: number) => void, lost: () => void): boolean {
    if (!this.bus.up) return false;
    const tok = `${this.bus.nodeId}:${this.nextTok++}`;
    this.sequencing.set(tok, { done, lost });
    // The id is Redis's; 0 stands in for it on the wire until the reader puts it in.
    this.send({ kind: 'room', room, event: { ...event, id: 0 }, tok, ...(accepted && { acc: accepted }) }, undefined, true);
    return true;
  }

  async claim(conn: ConnId, name: string, force: boolean): Promise<boolean> {
    // Claimed by skeleton: two servers must not admit alice and aIice at once either.
    const key = nameSkeleton(name);
    const result = await this.bus.claim(key, conn, force);
    if (!result.ok) return false;
    const prev = result.previous;
    if (prev && prev.node !== this.bus.nodeId) {
      // A proven login took the name over: the older session's node closes it, as one server would.
      this.send({ kind: 'kick', conn: prev.conn, name: foldName(name) }, prev.node);
    }
    return true;
  }

  release(conn: ConnId, name: string): void {
    if (!this.bus.up) return; // the claim lapses with this node's presence if it never comes back
    this.bus.release(nameSkeleton(name), conn).catch((err: Error) => this.log('cluster_error', { during: 'release', error: err.message }));
  }

  nextId(): number {
    return this.bus.nextId();
  }

  async createRoom(name: string, by: { key: string; name: string; account: boolean } | undefined, now: number): Promise<boolean> {
    const key = foldRoom(name);
    const created: RoomChange = { op: 'addRoom', key, name, created: now, ...(by && { by }) };
    const got = await this.bus.createRoom(key, name, created);
    // Applied here at once (the journal entry is this node's, not read back); the loser learns the room
    // now too, in case the winner's entry has not arrived yet (applying it again later changes nothing).
    const change: RoomChange = got === true ? created : { op: 'addRoom', key, name: got, created: now };
    this.store?.apply(change);
    this.hub?.roomChanged(change);
    return got === true;
  }

  blockedElsewhere(toKey: string, fromKey: string): boolean {
    return this.remote.get(toKey)?.blocks?.has(fromKey) === true;
  }

  guestBlocks(name: string, blocked: string[]): void {
    this.send({ kind: 'blocks', guests: [[name, blocked]] });
  }

  whisper(key: string, event: WhisperEvent): boolean {
    const where = this.remote.get(key);
    if (!where || !this.bus.up) return false;
    // In Redis before the sender's echo is written (send: the end of this turn; the echo waits for the next flush).
    this.send({ kind: 'whisper', to: key, event }, where.node);
    return true;
  }

  // ---- from the bus ----

  private onEvent(e: BusEvent & Wire, stream: 'room' | 'inbox', seq?: number): void {
    const hub = this.hub!;
    if (stream === 'inbox') {
      if (e.kind === 'whisper' && this.firstSight(e.event.id)) hub.deliverWhisper(e.to, e.event);
      else if (e.kind === 'kick') hub.replaced(e.conn, e.name);
      return;
    }
    switch (e.kind) {
      case 'room':
        if (e.tok !== undefined) return this.sequenced(e, seq);
        return this.roomEvent(e.node, e.room, e.event);
      case 'accepted':
        return hub.rememberAccepted(e.sender, e.ref, e.entry);
      case 'here': {
        const before = e.old === undefined ? undefined : this.remote.get(foldName(e.old));
        if (before?.node === e.node && foldName(e.old!) !== foldName(e.name)) {
          this.remote.delete(foldName(e.old!));
          hub.roster(before.name, false);
        }
        return this.addRemote(e.node, foldName(e.name), e.name, false, false);
      }
      case 'sync':
        this.sync(e.node, new Map(e.users), e.guests ?? [], new Set(e.outside ?? []));
        for (const [room, name] of e.ops ?? []) if (this.remote.get(foldName(name))?.node === e.node) hub.operatorElsewhere(room, name, true);
        for (const [name, message, since] of e.away ?? []) if (this.remote.get(foldName(name))?.node === e.node) hub.awayElsewhere(name, message, since);
        return;
      case 'blocks':
        return this.remoteBlocks(e.node, e.guests);
    }
  }

  private roomEvent(node: string, room: string, event: RoomEvent): void {
    const hub = this.hub!;
    switch (event.type) {
      case 'joined': {
        // Online (on that node) and a member of this room.
        const key = foldName(event.name);
        if (this.remote.get(key)?.node !== node) this.addRemote(node, key, event.name, false);
        hub.roster(event.name, true, room);
        break;
      }
      case 'left': {
        const key = foldName(event.name);
        // Put out by an operator (on any node): the node of that member takes it out of the room.
        if (event.by !== undefined && (event.reason === 'kicked' || event.reason === 'banned')) return hub.removedByOperator(room, event);
        // Leaving the server (not a part, a ban or a kick by an operator) is told in each of their rooms.
        const leavesServer = event.reason === 'quit' || event.reason === 'lost' || event.reason === 'timeout' || event.reason === 'kicked';
        // A user who moved to another node (a newer login) is not gone because the old node said so.
        if (this.remote.get(key)?.node === node) {
          hub.roster(event.name, false, room);
          if (leavesServer) {
            this.remote.delete(key);
            hub.roster(event.name, false);
          }
        }
        break;
      }
      case 'renamed': {
        const oldKey = foldName(event.old);
        const before = this.remote.get(oldKey);
        if (before?.node === node) {
          this.remote.delete(oldKey);
          hub.roster(event.old, false);
          hub.roster(event.old, false, room);
        }
        this.remote.set(foldName(event.new), { node, name: event.new, ...(before?.blocks && { blocks: before.blocks }) });
        hub.roster(event.new, true);
        hub.roster(event.new, true, room);
        // Renaming is no way out of a block held by someone here.
        hub.renamedElsewhere(event.old, event.new);
        break;
      }
      case 'moderation':
        // A guest's operator status is not journaled (it ends when the guest leaves): it comes with the event.
        if (event.action === 'op' || event.action === 'deop') hub.operatorElsewhere(room, event.name ?? '', event.action === 'op');
        break;
      case 'closed':
        // Delivered to the members here, who are then out of it; the room goes.
        return hub.closedElsewhere(room, event);
      case 'message':
        // A batch whose reply was lost (Redis went away just then) is sent again: ids are unique across
        // the cluster, so the second copy is recognised and dropped.
        if (!this.firstSight(event.id)) return;
        this.keepHistory(event);
        break;
    }
    hub.inject(room, event);
  }

  /**
   * A sequenced message, in its place in the stream: this node's own goes to the hub that said it (the
   * sender's echo and this node's members are served now, in the cluster's order); another node's is
   * delivered like any room event, its ref remembered. A copy (a batch sent again after its reply was
   * lost: Redis numbered it twice) is recognised by its token and dropped; the first number stands.
   */
  private sequenced(e: BusEvent & Extract<Wire, { kind: 'room' }>, seq: number | undefined): void {
    if (seq === undefined || e.event.type !== 'message' || !this.firstSight(e.tok!)) return;
    const waiting = e.node === this.bus.nodeId ? this.sequencing.get(e.tok!) : undefined;
    if (waiting) {
      this.sequencing.delete(e.tok!);
      return waiting.done(seq);
    }
    // Another node's line; or one of ours given up (dropped while Redis was away, its sender told) that
    // reached Redis after all: shown here like another node's, its ref remembered, so a resend is not doubled.
    const event = { ...e.event, id: seq };
    if (e.acc) this.hub!.rememberAccepted(e.acc.sender, e.acc.ref, { digest: e.acc.digest, id: seq, time: event.time });
    this.keepHistory(event);
    this.hub!.inject(e.room, event);
  }

  /** False if message or whisper `id` (or a sequenced message's token) was already handled (the last CLUSTER_SEEN_IDS are remembered). */
  private firstSight(id: number | string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    // A ring: the oldest id is forgotten when a new one takes its slot.
    const old = this.seenRing[this.seenNext];
    if (old !== undefined) this.seen.delete(old);
    this.seenRing[this.seenNext] = id;
    this.seenNext = (this.seenNext + 1) % CLUSTER_SEEN_IDS;
    return true;
  }

  /** A node's full list of users (it started, or came back after losing Redis): joins and leaves for the difference. */
  private sync(node: string, users: Map<string, string>, guests: GuestBlocks, outside: ReadonlySet<string>): void {
    for (const [key, r] of [...this.remote]) {
      if (r.node === node && !users.has(key)) this.dropRemote(key, 'lost');
    }
    for (const [key, name] of users) {
      const out = outside.has(name);
      this.addRemote(node, key, name, true, !out);
      // Listed in the default room from that node's heartbeat (a node that starts reads those first).
      if (out) this.hub!.roster(name, false, this.hub!.defaultRoom);
    }
    this.remoteBlocks(node, guests);
    if (!this.known.has(node)) {
      this.known.add(node);
      this.sendSync();
    }
  }

  /** Whom guests on `node` block, as that node says (each listed guest's whole list). */
  private remoteBlocks(node: string, guests: GuestBlocks): void {
    for (const [name, blocked] of guests) {
      const r = this.remote.get(foldName(name));
      if (r?.node === node) r.blocks = new Set(blocked);
    }
  }

  private nodeDown(node: string): void {
    let n = 0;
    for (const [key, r] of [...this.remote]) {
      if (r.node !== node) continue;
      this.dropRemote(key, 'lost');
      n++;
    }
    this.known.delete(node);
    this.log('node_down', { node, users: n });
  }

  private onLink(state: 'up' | 'down'): void {
    if (state === 'down') return;
    // Back: tell the others who is here (they may have dropped us), then send what waited.
    this.sendSync();
    this.flush();
  }

  /** `name` is online on `node`; `inDefaultRoom` false for an IRC client kept out of it (--irc-no-default-room). */
  private addRemote(node: string, key: string, name: string, announce: boolean, inDefaultRoom = true): void {
    const before = this.remote.get(key);
    // The same user on the same node keeps what is known of their blocks.
    this.remote.set(key, { node, name, ...(before?.node === node && before.blocks && { blocks: before.blocks }) });
    if (before?.name === name) return;
    if (before) this.hub!.roster(before.name, false);
    if (announce && !before) this.hub!.arrivedElsewhere(name, inDefaultRoom);
    else this.hub!.roster(name, true, undefined, inDefaultRoom);
  }

  private dropRemote(key: string, reason: LeaveReason): void {
    const r = this.remote.get(key);
    if (!r) return;
    this.remote.delete(key);
    this.hub!.lostElsewhere(r.name, reason);
  }

  private keepHistory(m: Extract<RoomEvent, { type: 'message' }>): void {
    if (!this.store || (this.opts.historySize ?? 0) === 0) return;
    try {
      this.store.addHistory({ id: m.id, room: foldRoom(m.room ?? LOBBY_OF_HUB), from: m.from, text: m.text, time: m.time, action: m.action === true, notice: m.notice === true });
    } catch {
      // Already there (the start-up load and the stream overlap by a few entries).
    }
  }

  private localUsers(): Map<string, string> {
    if (!this.hub) return new Map();
    return new Map(this.hub.localUsers().map((n) => [foldName(n), n]));
  }

  /**
   * Queue `w` for the room stream (or, with `to`, a node's inbox). Everything queued in one turn of the
   * event loop goes to Redis in one MULTI/EXEC before any reply of that turn is written: a message and the
   * record of its ref arrive together or not at all, even if the process is killed between two writes.
   */
  private send(w: Wire, to?: string, sequenced = false): void {
    this.turn.push({ w, ...(to !== undefined && { to }), ...(sequenced && { sequenced }) });
    if (this.turn.length === 1) queueMicrotask(() => this.endTurn());
  }

  private endTurn(): void {
    const batch = this.turn.splice(0);
    if (batch.length === 0) return;
    if (!this.bus.up || this.pending.length > 0 || this.flushing) return this.keep(batch);
    this.bus.publishBatch(toBus(batch)).catch((err: Error) => {
      this.log('cluster_error', { during: 'publish', error: err.message, events: batch.length });
      this.keep(batch);
    });
  }

  /**
   * Keep events for when Redis is back, in order; past `maxPending` the oldest are dropped, and the sender
   * of a room line among them is told it was not sent (and nothing of it stays here).
   */
  private keep(batch: Outgoing[]): void {
    this.pending.push(...batch);
    const max = this.opts.maxPending ?? CLUSTER_MAX_PENDING;
    if (this.pending.length > max) {
      const dropped = this.pending.splice(0, this.pending.length - max);
      let lines = 0;
      for (const d of dropped) {
        const tok = d.w.kind === 'room' ? d.w.tok : undefined;
        const waiting = tok === undefined ? undefined : this.sequencing.get(tok);
        if (!waiting) continue;
        this.sequencing.delete(tok!);
        lines++;
        this.later(() => waiting.lost());
      }
      this.log('cluster_error', { during: 'catch-up', dropped: dropped.length, lines });
    }
    if (this.bus.up) this.flush();
  }

  /** Send what waited, in order, in batches; stops (keeping the rest) if Redis goes away again. */
  private flush(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    void (async () => {
      while (this.pending.length > 0 && this.bus.up) {
        const batch = this.pending.slice(0, 100);
        try {
          await this.bus.publishBatch(toBus(batch));
          // Not splice(0, n): keep() may have dropped some of the oldest meanwhile.
          const sent = new Set(batch);
          this.pending = this.pending.filter((o) => !sent.has(o));
        } catch (err) {
          this.log('cluster_error', { during: 'catch-up', error: (err as Error).message, left: this.pending.length });
          break;
        }
      }
      this.flushing = false;
    })();
  }
}

/** Events on their way, as the bus takes them. */
function toBus(batch: Outgoing[]): Parameters<ClusterBus['publishBatch']>[0] {
  return batch.map((b) => ({ to: b.to, event: b.w, sequenced: b.sequenced === true }));
}

/** The one room of protocol version 1 (the hub ignores other names). */
const LOBBY_OF_HUB = '#lobby';

/** A server's place in a cluster, ready for its hub: the replica to use as its store, and the peers. */
export interface Membership {
  node: ClusterNode;
  /** The Redis URL with any password masked, for the console and the log. */
  shown: string;
  store: ReplicaStore;
  /** For Accounts: the cluster's arbiter of new accounts. */
  claimAccount: (user: { key: string; name: string; hash: string; created: number }) => Promise<boolean>;
  /** For Accounts: the cluster's arbiter of token rotation (the winner's replica rotated too). */
  rotate: (r: Rotation) => Promise<boolean>;
  /** For Accounts: resolves once the replica holds what Redis had when asked (ClusterBus.caughtUp). */
  caughtUp: () => Promise<void>;
}

/**
 * Join the cluster on `url` (parse it first: RedisUrlError for a bad one). Rejects with a one-line reason
 * when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function joinCluster(
  url: string,
  options: ClusterNodeOptions & { host: string; port: number; connectTimeoutMs?: number; heartbeatMs?: number; ttlMs?: number },
): Promise<Membership> {
  const address = parseRedisUrl(url);
  const store = new ReplicaStore();
  const bus = new ClusterBus({
    redis: address,
    host: options.host,
    port: options.port,
    ...(options.log && { log: options.log }),
    ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.heartbeatMs !== undefined && { heartbeatMs: options.heartbeatMs }),
    ...(options.ttlMs !== undefined && { ttlMs: options.ttlMs }),
  });
  const node = new ClusterNode(bus, store, options);
  try {
    await node.start();
  } catch (err) {
    await bus.stop();
    store.close();
    throw err;
  }
  return {
    node,
    shown: address.shown,
    store,
    claimAccount: (u) => bus.claimAccount(u.key, { op: 'addUser', ...u } satisfies StateChange),
    rotate: async (r) => {
      const change = { op: 'rotateSession', old: hashToken(r.oldToken), token: hashToken(r.newToken), key: r.key, time: r.now, expires: r.expires, from: r.from } satisfies StateChange;
      if (!(await bus.claimRotation(change.old, change))) return false;
      // False if the session ended here meanwhile (a /logout all): the rotation then changes nothing anywhere.
      return store.rotateSessionHash(change.old, change.token, change.key, change.time, change.expires, change.from);
    },
    caughtUp: () => bus.caughtUp(),
  };
}
