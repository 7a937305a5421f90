/**
 * The chat core: rules of chat as plain data, no sockets and no timers (the clock is injected). A protocol
 * shell owns the sockets and attaches each connection here; the core answers in domain events.
 *
 * The seam, for a second protocol (IRC) and a bus between servers:
 * - A shell numbers its connections (ConnId, unique across all shells of one hub) and gives the hub an
 *   Outbox (bytes to a connection, close it). `connect(id, ip, port, codec)` attaches a connection that
 *   speaks `codec` (events.ts: ChatEvent → one line of bytes, or null to show nothing); `handle(id,
 *   request)` takes a typed, validated request (ClientMessage of src/wire/messages.ts); `disconnect(id)`
 *   detaches. The NDJSON shell (host.ts) uses `receive(id, line)`, which decodes a line (ndjson.ts) and
 *   calls handle.
 * - Room events (RoomEvent: joined, left, message, renamed, topic, moderation, closed; each names its
 *   `room`) fan out through Room (room.ts), which encodes an event once per codec and hands the same
 *   Buffer to every member speaking it. A rename goes once to everyone sharing a room with the renamer.
 *   Everything else (welcome, whispers, replies, errors) goes to one session through its codec.
 * - HubOptions.bus (a RoomBus) sees each room event after local delivery; `inject(room, event)` delivers a
 *   room event from elsewhere to local members without publishing it again.
 * - Protocol version 1 is a codec too: a version-1 NDJSON session gets ndjsonV1, which shows the default
 *   room only, so the rules speak version 2 and never branch on the encoding.
 * Module map: session.ts (a connection's session), directory.ts (who is online), room.ts (one room:
 * membership, fan-out, topic, operators, bans, mutes), rooms.ts (every room, and who is put back where at
 * login), rules/ (each command's rules over a shared Context: login, talk, people, rooms, moderation; elsewhere: what another server of a cluster did),
 * ndjson.ts (the NDJSON codecs).
 */
import {
  DEFAULT_HISTORY,
  ACCEPTED_REFS_PER_SENDER,
  ACCEPTED_REFS_SENDERS,
  MAINTENANCE_EVERY_MS,
  MAX_FRAME_BYTES,
  MAX_CONNECTIONS_PER_IP,
  MAX_HELD_FRAMES,
  MAX_REASON_CHARS,
  PING_INTERVAL_MS,
  PING_SPREAD_MS,
  PING_TIMEOUT_MS,
  RATE_BURST,
  RATE_PER_SECOND,
  REGISTRATION_TIMEOUT_MS,
  DEFAULT_ROOM,
  MAX_ROOMS,

  CONNECT_BURST,
  CONNECTS_PER_SECOND,
  HELLO_BURST,
  HELLOS_PER_SECOND,
} from '../wire/limits.js';
import { ROOM_REQUESTS, type ClientMessage, type LeaveReason, type ServerMessage } from '../wire/messages.js';
import { foldName } from '../wire/names.js';
import { foldRoom } from '../wire/rooms.js';
import { sanitizeText, truncateCodePoints } from '../wire/sanitize.js';
import { TokenBucket } from '../wire/ratelimit.js';
import { dialableAddress } from '../wire/direct.js';
import { PrivateDesk, type PrivateDeskOptions } from './private.js';
import type { Accounts } from './accounts.js';
import { BlockList } from './blocks.js';
import { AcceptedRefs } from './accepted.js';
import type { Store } from './store.js';
import { BucketTable, sourceOf } from './sources.js';
import type { Codec, RoomBus, RoomEvent } from './events.js';
import type { Peers, RoomChange, WhisperEvent } from './peers.js';
import type { Accepted } from './accepted.js';
import { MAX_OFFLINE_PER_USER } from '../wire/limits.js';
import { NDJSON, NDJSON_GROUPED, decodeRequest, ndjsonV1 } from './ndjson.js';
import { Directory } from './directory.js';
import { Rooms } from './rooms.js';
import type { ConnId, Session } from './session.js';
import { Context, errorEvent, type HubLog, type Outbox } from './rules/context.js';
import { ack, hello, register } from './rules/login.js';
import { changePassword, endRevoked, listSessions, logout } from './rules/sessions.js';
import { kill, oper } from './rules/admins.js';
import { say, whisper } from './rules/talk.js';
import { block, nick, unblock, whoelse } from './rules/people.js';
import { away, back } from './rules/away.js';
import { invite, join, list, listRooms, part, topic } from './rules/rooms.js';
import { ban, close, deop, kick, mute, op, topicLock, unban, unmute } from './rules/moderation.js';
import { RandomPool } from './randompool.js';
import { arrivedElsewhere, closedElsewhere, goneElsewhere, lostElsewhere, operatorElsewhere, removedByOperator, renamedElsewhere, roomChanged } from './rules/elsewhere.js';

export type { ConnId, Session } from './session.js';
export type { HubLog, LogFields, Outbox } from './rules/context.js';
/** The session of one connection (the name the hub's tests and subclasses know it by). */
export type Client = Session;

export interface HubOptions {
  clock?: () => number;
  motd?: string;
  log?: HubLog;
  /** Log the text of whispers (off by default: the operator has no business reading them). */
  logWhisperText?: boolean;
  /**
   * Log every room message with its text (`--log-messages`). Off by default: the history keeps each room's
   * last lines, and a line per message in the log is work on every message's path and a file that grows
   * with everything said (a busy room: megabytes a second).
   */
  logMessages?: boolean;
  rateBurst?: number;
  /** Tokens refilled per second; 0 turns rate limiting off (benchmarks). */
  ratePerSecond?: number;
  registrationTimeoutMs?: number;
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  maxConnectionsPerIp?: number;
  /** Timeouts and caps of direct private chat (tests shrink them). */
  privateChat?: Omit<PrivateDeskOptions, 'clock'>;
  /** Where history, offline whispers, blocks and last-seen times are kept; without it nothing outlives the process. */
  store?: Store;
  /** Password logins (`--auth optional|required`); without it every name is free, as with `--auth off`. */
  accounts?: Accounts;
  /** Room messages replayed on join (0: none). Needs a store. */
  historySize?: number;
  /** Log out a user after this long without a request (0: never). */
  idleTimeoutMs?: number;
  /** Where room events go to reach other servers (none: this server is alone). */
  bus?: RoomBus;
  /**
   * The other servers of a cluster (cluster mode, src/server/cluster/node.ts): names claimed across
   * servers, ids, whispers routed, accepted refs shared; it is the bus too. See src/server/peers.ts.
   */
  peers?: Peers;
  /** The room every connection enters on hello (`--default-room`); DEFAULT_ROOM unless given. */
  defaultRoom?: string;
  /** Rooms kept at most (MAX_ROOMS unless given: tests shrink it). */
  maxRooms?: number;
  /**
   * Hold the join and leave notices of a room of GROUP_NOTICES_MIN_MEMBERS or more until the next tick and
   * send them grouped (PROTOCOL.md §15.3.1). On in parley-server (host.ts); off by default, so a core
   * driven without ticks delivers every notice at once.
   */
  groupNotices?: boolean;
}

/** A connection's session key (welcome.session, PROTOCOL.md §5.3): 16 random bytes, 22 base64url characters. */
const SESSION_KEY_BYTES = 16;
const sessionKeys = new RandomPool();

export const DEFAULT_MOTD = 'Welcome to parley. Type /help for commands; be kind.';

/** The default room unless the server is told otherwise (protocol version 1 has this one room). */
export const LOBBY = DEFAULT_ROOM;

export class Hub {
  private readonly ctx: Context;
  private readonly directory = new Directory();
  private readonly rooms: Rooms;
  private lastMaintenance = 0;
  /** The store's data_version when live logins were last checked against it (see noticeOutsideChanges). */
  private dataVersion: number | undefined;
  /**
   * New connections and hellos per source (issue 10's churn limits). Off when either flood limits are off
   * (ratePerSecond 0, `--no-rate-limit`) or the per-address cap is (`--max-per-ip 0`): both mean "many
   * clients from one address are expected" (benchmarks, load tests).
   */
  private get churnLimited(): boolean {
    return this.ctx.opts.ratePerSecond > 0 && this.ctx.opts.maxConnectionsPerIp > 0;
  }
  private readonly connects = new BucketTable(CONNECT_BURST, CONNECTS_PER_SECOND);
  private readonly hellos = new BucketTable(HELLO_BURST, HELLOS_PER_SECOND);

  constructor(
    private readonly out: Outbox,
    options: HubOptions = {},
  ) {
    const clock = options.clock ?? Date.now;
    const opts = {
      motd: options.motd ?? DEFAULT_MOTD,
      logWhisperText: options.logWhisperText ?? false,
      logMessages: options.logMessages ?? false,
      rateBurst: options.rateBurst ?? RATE_BURST,
      ratePerSecond: options.ratePerSecond ?? RATE_PER_SECOND,
      registrationTimeoutMs: options.registrationTimeoutMs ?? REGISTRATION_TIMEOUT_MS,
      pingIntervalMs: options.pingIntervalMs ?? PING_INTERVAL_MS,
      pingTimeoutMs: options.pingTimeoutMs ?? PING_TIMEOUT_MS,
      maxConnectionsPerIp: options.maxConnectionsPerIp ?? MAX_CONNECTIONS_PER_IP,
      historySize: options.store ? (options.historySize ?? DEFAULT_HISTORY) : 0,
      idleTimeoutMs: options.idleTimeoutMs ?? 0,
      maxRooms: options.maxRooms ?? MAX_ROOMS,
    };
    const directory = this.directory;
    const defaultRoom = options.defaultRoom ?? DEFAULT_ROOM;
    // Rooms as kept in the store; history from before rooms belongs to the default room.
    const store = options.store;
    store?.adoptHistory(foldRoom(defaultRoom));
    this.rooms = new Rooms(defaultRoom, (s, frame) => out.send(s.id, frame), options.bus ?? options.peers, store?.rooms(), options.groupNotices === true);
    store?.addRoom(this.rooms.lobby.key, this.rooms.lobby.name, clock());
    const v1 = ndjsonV1(defaultRoom);
    const privateDesk = new PrivateDesk(
      {
        idOf: (name) => directory.find(name)?.id,
        nameOf: (id) => directory.session(id)?.name ?? '?',
        addressOf: (id) => dialableAddress(directory.session(id)?.ip ?? ''),
        mayAsk: (from, to) => this.mayAskPrivate(directory.session(from)!, directory.session(to)!),
        identityOf: (id) => {
          const s = directory.session(id);
          return s ? [`name:${foldName(s.name ?? '')}`, `source:${s.source}`] : [];
        },
      },
      { ...options.privateChat, clock },
    );
    this.ctx = new Context(
      out,
      clock,
      options.log ?? (() => {}),
      opts,
      directory,
      this.rooms,
      (codec, version, grouped) => (codec !== NDJSON ? codec : version === 1 ? v1 : grouped ? NDJSON_GROUPED : NDJSON),
      new AcceptedRefs(ACCEPTED_REFS_PER_SENDER, ACCEPTED_REFS_SENDERS),
      privateDesk,
      options.store,
      options.accounts,
      options.peers,
    );
  }

  /**
   * Whether `from` may ask `to` for a direct private chat: not when `to` blocks `from`. The asker is
   * told only that the request was refused, as with a whisper to someone who blocks them.
   */
  protected mayAskPrivate(from: Session, to: Session): boolean {
    return from.name === undefined || !to.blocks.has(foldName(from.name));
  }

  /** Names in the default room, or in `room`, sorted case-insensitively. */
  users(room?: string): readonly string[] {
    return (room === undefined ? this.rooms.lobby : this.rooms.get(room))?.names() ?? [];
  }

  get connectionCount(): number {
    return this.directory.connections;
  }

  /** Messages (room lines, whispers) this server has given an id since it started: a count of its chat traffic. */
  get messagesIssued(): number {
    return this.ctx.messagesIssued;
  }

  /**
   * A new connection from `ip`:`port` that speaks `codec` (NDJSON unless a shell says otherwise). Returns
   * false (and closes it) when its IP is over the cap. `defaultRoom: false`: not put in the default room at
   * login (Session.defaultRoom).
   */
  connect(id: ConnId, ip: string, port: number, codec: Codec = NDJSON, { defaultRoom = true }: { defaultRoom?: boolean } = {}): boolean {
    const { clock, opts, log } = this.ctx;
    const now = clock();
    const addr = ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
    const cap = opts.maxConnectionsPerIp;
    // Churn (issue 10): connecting and hanging up in a loop costs the server a socket and a log line each.
    if (this.churnLimited && !this.connects.take(sourceOf(ip), now)) {
      log('refused', { conn: id, addr, why: `more than ${CONNECTS_PER_SECOND} connections a second from ${sourceOf(ip)}` });
      const refusal = codec.encode(errorEvent('slow_down', `too many new connections from your address; wait a few seconds and connect again`));
      if (refusal !== null) this.out.send(id, refusal);
      this.out.close(id);
      return false;
    }
    if (cap > 0 && this.directory.wouldHold(ip) > cap) {
      log('refused', { conn: id, addr, why: `more than ${cap} connections from ${ip}` });
      const refusal = codec.encode(errorEvent('too_many_connections', `at most ${cap} connections from one address; close one and try again`));
      if (refusal !== null) this.out.send(id, refusal);
      this.out.close(id);
      return false;
    }
    // Per-connection memory is most of an idle server's (issue 15, target 4): what a session may never need
    // (the request budget, frames held during a password check, blocks) is made when first used, and the
    // fields set at hello are there from the start, so every session has one shape with no property array.
    this.directory.add({
      id,
      ip,
      source: sourceOf(ip),
      addr,
      name: undefined,
      codec,
      rooms: new Set(),
      defaultRoom,
      connectedAt: now,
      lastHeard: now,
      pingSent: false,
      lastActive: now,
      account: false,
      proven: false,
      admin: false,
      version: 0,
      checking: false,
      checks: 0,
      checkStarted: 0,
      checkedMs: 0,
      refsKey: sessionKeys.token(SESSION_KEY_BYTES),
      mustChange: false,
      blocks: new BlockList(this.ctx.store),
      usersOnce: undefined,
      lastSeen: undefined,
    });
    log('connect', { conn: id, addr });
    return true;
  }

  /** One complete NDJSON frame (already split and UTF-8 checked by the decoder). */
  receive(id: ConnId, line: string): void {
    const s = this.directory.session(id);
    if (!s || this.held(s, () => this.receive(id, line))) return;
    const parsed = decodeRequest(line);
    if (parsed.ok) return this.handle(id, parsed.message);
    this.heard(s);
    if (!this.spend(s, this.ctx.clock(), parsed.ref)) return;
    this.ctx.error(s, parsed.code, parsed.message, { re: parsed.re, ref: parsed.ref });
  }

  /**
   * One request from connection `id`, already decoded and validated by its shell. `paced`: the shell has
   * already held it to the request rate (the IRC gateway's fake lag), so the core does not charge it again:
   * two buckets on clocks read at different moments disagree by a fraction of a token, and a line the
   * gateway let through would be lost to the core's refusal.
   */
  handle(id: ConnId, msg: ClientMessage, paced = false): void {
    const s = this.directory.session(id);
    if (!s || this.held(s, () => this.handle(id, msg, paced))) return;
    const ctx = this.ctx;
    const now = this.heard(s);
    if (msg.type === 'ping') {
      // A pong comes after every frame of events before it (PROTOCOL.md §2.2): held notices go first.
      for (const room of s.rooms) room.flushNotices();
      return ctx.send(s, { type: 'pong', ...(msg.token !== undefined && { token: msg.token }), ...(msg.ref !== undefined && { ref: msg.ref }) });
    }
    if (msg.type === 'pong') return;
    // Free of the request budget like ping: a login may bring a full mailbox to acknowledge.
    if (msg.type === 'ack') return ack(ctx, s, msg.upTo);
    if (!paced && !this.spend(s, now, msg.ref)) return;
    s.lastActive = now;
    if (msg.type === 'hello') {
      // Joining and leaving in a loop (each one a notice to every member) is bounded per source.
      if (this.churnLimited && !this.hellos.take(s.source, now)) {
        return ctx.error(s, 'slow_down', `too many logins from your address; wait ${Math.ceil(this.hellos.waitMs(s.source, now) / 1000)} s and try again`, { re: 'hello', ref: msg.ref });
      }
      return hello(ctx, s, msg, now);
    }
    if (msg.type === 'quit') {
      // Leaving always works, registered or not, whatever the reason's length (PROTOCOL.md §6.6).
      if (s.token !== undefined) ctx.persist(s, 'quit', undefined, () => ctx.accounts?.endSession(s.token!));
      return ctx.remove(s, 'quit', msg.reason === undefined ? undefined : truncateCodePoints(sanitizeText(msg.reason), MAX_REASON_CHARS));
    }
    if (s.name === undefined) {
      return ctx.error(s, 'not_registered', 'say hello first: {"type":"hello","name":"yourname","version":1}', { re: msg.type, ref: msg.ref });
    }
    if (s.version === 1 && ROOM_REQUESTS.includes(msg.type)) {
      return ctx.error(s, 'unknown_type', `"${msg.type}" is a protocol version 2 request; this connection said hello with version 1`, { re: msg.type, ref: msg.ref });
    }
    switch (msg.type) {
      case 'say':
        return say(ctx, s, msg, now);
      case 'whisper':
        return whisper(ctx, s, msg, now);
      case 'nick':
        return nick(ctx, s, msg, now);
      case 'list':
        return list(ctx, s, msg);
      case 'join':
        return join(ctx, s, msg, now);
      case 'part':
        return part(ctx, s, msg, now);
      case 'rooms':
        return listRooms(ctx, s, msg);
      case 'topic':
        return topic(ctx, s, msg, now);
      case 'kick':
        return kick(ctx, s, msg, now);
      case 'ban':
        return ban(ctx, s, msg, now);
      case 'unban':
        return unban(ctx, s, msg, now);
      case 'mute':
        return mute(ctx, s, msg, now);
      case 'unmute':
        return unmute(ctx, s, msg, now);
      case 'op':
        return op(ctx, s, msg, now);
      case 'deop':
        return deop(ctx, s, msg, now);
      case 'topic_lock':
        return topicLock(ctx, s, msg, now);
      case 'close':
        return close(ctx, s, msg, now);
      case 'private':
      case 'allow':
      case 'deny':
      case 'private_port':
      case 'private_end': {
        const deliveries = ctx.privateDesk.handle(s.id, msg);
        ctx.deliverPrivate(deliveries);
        // Requests whose only effect is on the other side are acknowledged, so a client knows they were done.
        if (msg.type !== 'private' && !deliveries.some((d) => d.to === s.id && d.msg.type === 'error')) ctx.send(s, { type: 'ok', re: msg.type, ...(msg.ref !== undefined && { ref: msg.ref }) });
        return;
      }
      case 'register':
        return register(ctx, s, msg);
      case 'whoelse':
        return whoelse(ctx, s, msg, now);
      case 'block':
        return block(ctx, s, msg);
      case 'unblock':
        return unblock(ctx, s, msg);
      case 'away':
        return away(ctx, s, msg, now);
      case 'back':
        return back(ctx, s, msg, now);
      case 'sessions':
        return listSessions(ctx, s, msg);
      case 'logout':
        return logout(ctx, s, msg);
      case 'password':
        return changePassword(ctx, s, msg);
      case 'oper':
        return oper(ctx, s, msg);
      case 'kill':
        return kill(ctx, s, msg);
      case 'invite':
        return invite(ctx, s, msg, now);
    }
  }

  /** The decoder dropped a line (too long, not UTF-8). The connection goes on. */
  frameError(id: ConnId, code: 'frame_too_large' | 'invalid_utf8'): void {
    const s = this.directory.session(id);
    if (!s || this.held(s, () => this.frameError(id, code))) return;
    s.lastHeard = this.ctx.clock();
    const message = code === 'frame_too_large' ? `frame dropped: a line may be at most ${MAX_FRAME_BYTES} bytes` : 'frame dropped: it is not valid UTF-8';
    this.ctx.error(s, code, message);
  }

  /**
   * The connection is gone or must go: the socket closed (`lost`), or the host gave up on it (`kicked`,
   * with why). Idempotent, so a socket that errors and then closes yields exactly one left notice.
   */
  disconnect(id: ConnId, reason: LeaveReason, why?: string): void {
    const s = this.directory.session(id);
    if (s) this.ctx.remove(s, reason, why);
  }

  /**
   * A room event from another server (through the bus): delivered to this server's members of `room`,
   * except those who block its author, and not published again. Unknown rooms are ignored.
   */
  inject(room: string, event: RoomEvent): void {
    const target = this.rooms.get(room);
    if (!target) return;
    const author =
      event.type === 'message' ? event.from : event.type === 'renamed' ? event.old : event.type === 'joined' || event.type === 'left' || event.type === 'away' ? event.name : undefined;
    // Who is away on the other servers: their users lists here show it, and whispers to them get the notice.
    if (event.type === 'away') {
      if (event.away) this.ctx.away.set(event.name, event.message ?? '', event.time);
      else this.ctx.away.clear(event.name);
    } else if (event.type === 'renamed' && !this.directory.has(foldName(event.new))) this.ctx.away.rename(event.old, event.new);
    // Joins and leaves on other servers are grouped here as this server's own are.
    if (event.type === 'joined' || (event.type === 'left' && event.by === undefined)) return target.notice(event);
    target.deliver(event, undefined, author === undefined ? undefined : foldName(author));
  }

  // ---- cluster mode: what the other servers send (src/server/cluster/node.ts calls these) ----

  /** Names of this server's own users (not those of other servers). */
  localUsers(): string[] {
    return [...this.directory.named()].map((s) => s.name!);
  }

  /**
   * A user on another server came (`present`) or went: the default room, or `room`, lists them (the notice
   * comes by inject). Gone without a room: from every room. A room this server does not have is left alone.
   */
  roster(name: string, present: boolean, room?: string, inDefaultRoom = true): void {
    if (room !== undefined) return this.rooms.get(room)?.remoteMember(name, present);
    const key = foldName(name);
    if (present) {
      // Online there: in the default room (unless they are an IRC client kept out of it) and the rooms
      // that keep them (they were put back in at login).
      if (inDefaultRoom) this.rooms.lobby.remoteMember(name, true);
      for (const r of this.rooms.keptFor(key)) r.remoteMember(name, true);
      return;
    }
    for (const r of this.rooms.all()) r.remoteMember(name, false); // gone from the server: from every room
    if (!this.directory.has(key)) this.ctx.away.clear(name);
    goneElsewhere(this.ctx, key);
  }

  /** `name` is online on another server that says so in its user list: listed and announced in their rooms. */
  arrivedElsewhere(name: string, inDefaultRoom = true): void {
    arrivedElsewhere(this.ctx, name, this.ctx.clock(), inDefaultRoom);
  }

  /** The default room's name (a cluster's node names it in a roster change). */
  get defaultRoom(): string {
    return this.rooms.lobby.name;
  }

  /** `name`'s server died or no longer lists them: they leave every room here, each told why. */
  lostElsewhere(name: string, reason: LeaveReason): void {
    lostElsewhere(this.ctx, name, reason, this.ctx.clock());
    this.roster(name, false);
  }

  /** A room change another server made (from the cluster's journal): this server's rooms follow. */
  roomChanged(change: RoomChange): void {
    roomChanged(this.ctx, change);
  }

  /** An operator on another server kicked or banned someone from `room` (a `left` event with `by`). */
  removedByOperator(room: string, event: Extract<RoomEvent, { type: 'left' }>): void {
    removedByOperator(this.ctx, room, event);
  }

  /** An administrator on another server closed `room`. */
  closedElsewhere(room: string, event: Extract<RoomEvent, { type: 'closed' }>): void {
    closedElsewhere(this.ctx, room, event);
  }

  /** `name` became an operator of `room` on another server (`op`), or no longer is one. */
  operatorElsewhere(room: string, name: string, op: boolean): void {
    operatorElsewhere(this.ctx, room, name, op);
  }

  /** Someone on another server renamed: blocks held here follow. */
  renamedElsewhere(old: string, name: string): void {
    renamedElsewhere(this.ctx, old, name);
  }

  /**
   * What a server that just joined cannot learn from the journal, as it ends with a guest's connection or
   * is not stored: which of this server's guests are operators of which room ([room, name]), and who of
   * this server's users is away ([name, message, since]).
   */
  passing(): { ops: [string, string][]; away: [string, string, number][]; outside: string[] } {
    const ops: [string, string][] = [];
    const away: [string, string, number][] = [];
    const outside: string[] = [];
    for (const room of this.rooms.all()) {
      for (const key of room.operators.keys()) {
        const s = this.directory.find(key);
        if (s && !s.account) ops.push([room.name, s.name!]);
      }
    }
    for (const s of this.directory.named()) {
      const a = this.ctx.away.get(s.name!);
      if (a) away.push([s.name!, a.message, a.since]);
      if (!this.rooms.lobby.member(foldName(s.name!))) outside.push(s.name!);
    }
    return { ops, away, outside };
  }

  /** `name` on another server is away since `since` (told by that server's sync, not as news: nobody is notified). */
  awayElsewhere(name: string, message: string, since: number): void {
    this.ctx.away.set(name, message, since);
  }

  /** This server's guests who block someone, with whom (folded names): for a server that just joined. */
  guestBlocks(): [string, string[]][] {
    return [...this.directory.named()].filter((s) => !s.account && s.blocks.size > 0).map((s) => [s.name!, s.blocks.keys()]);
  }

  /**
   * A whisper from another server for `toKey` (folded), who was here when it was sent. Delivered unless
   * the recipient blocks the sender; if they left meanwhile, it is stored for a registered user (as for
   * anyone offline) and otherwise dropped, which the log says.
   */
  deliverWhisper(toKey: string, event: WhisperEvent): void {
    const { log, store, accounts } = this.ctx;
    const target = this.directory.find(toKey);
    const fromKey = foldName(event.from);
    if (target) {
      if (target.blocks.has(fromKey)) return log('whisper_blocked', { from: event.from, to: event.to, remote: true });
      return this.ctx.send(target, event);
    }
    const stored = this.ctx.persist(undefined, 'whisper', undefined, () => {
      if (!accounts || !store?.user(toKey) || store.offlineCount(toKey) >= MAX_OFFLINE_PER_USER) return false;
      if (store.blocks(toKey).some((b) => b.key === fromKey)) return false;
      store.addOffline(toKey, { id: event.id, from: event.from, to: event.to, text: event.text, time: event.time });
      return true;
    });
    log('whisper_remote', { from: event.from, to: event.to, id: event.id, delivered: false, stored: stored === true });
  }

  /** Another server logged this connection's account in: this older session closes, as on one server. */
  replaced(conn: ConnId, key: string): void {
    const s = this.directory.session(conn);
    if (!s || s.name === undefined || foldName(s.name) !== key) return;
    this.ctx.error(s, 'session_replaced', `${s.name} logged in from another location; this session is closed`);
    this.ctx.remove(s, 'kicked', 'logged in from another location');
  }

  /** Another server accepted a request under this ref: a resend of it here is answered, not relayed again. */
  rememberAccepted(sender: string, ref: string, entry: Accepted): void {
    this.ctx.accepted.remember(sender, ref, entry);
  }

  /** Timers, driven by the host about once a second: registration deadline and keepalive. */
  tick(): void {
    const { clock, opts, store, accounts, log } = this.ctx;
    const now = clock();
    this.rooms.flushNotices();
    const idle = opts.idleTimeoutMs;
    const pingSpread = Math.min(PING_SPREAD_MS, Math.floor(opts.pingIntervalMs / 3));
    for (const s of this.directory.all()) {
      if (s.name === undefined) {
        // The deadline is for sending hello: time spent waiting for a password check does not count.
        if (!s.checking && now - s.connectedAt - s.checkedMs >= opts.registrationTimeoutMs) {
          this.ctx.error(s, 'registration_timeout', `no hello within ${Math.round(opts.registrationTimeoutMs / 1000)} s; closing`);
          this.ctx.remove(s, 'timeout');
        }
        continue;
      }
      if (idle > 0 && now - s.lastActive >= idle) {
        this.ctx.error(s, 'idle_timeout', `logged out after ${Math.round(idle / 1000)} s without activity; reconnect to come back`);
        this.ctx.remove(s, 'timeout', 'idle');
        continue;
      }
      const silent = now - s.lastHeard;
      if (silent >= opts.pingIntervalMs + opts.pingTimeoutMs) {
        this.ctx.remove(s, 'timeout');
      } else if (!s.pingSent && silent >= opts.pingIntervalMs - pingOffset(s.id, pingSpread)) {
        s.pingSent = true;
        this.ctx.send(s, { type: 'ping', token: String(now) });
      }
    }
    if (now - this.lastMaintenance >= MAINTENANCE_EVERY_MS) {
      this.lastMaintenance = now;
      try {
        if (opts.historySize > 0) for (const room of this.ctx.historyAdded) store?.pruneHistory(room.key, opts.historySize);
        this.ctx.historyAdded.clear();
        accounts?.expire();
      } catch (err) {
        log('store_error', { during: 'maintenance', error: (err as Error).message });
      }
    }
    this.noticeOutsideChanges();
    this.ctx.deliverPrivate(this.ctx.privateDesk.tick());
  }

  /**
   * Another process wrote to the database file since the last tick (the operator's `parley-server user
   * passwd|remove` runs beside the server): live logins whose password was changed or whose account was
   * removed are closed, within a tick. Read again at the next tick if the file could not be read.
   */
  private noticeOutsideChanges(): void {
    const { store, accounts, log } = this.ctx;
    if (!store || !accounts) return;
    let version: number;
    try {
      version = store.dataVersion();
    } catch (err) {
      log('store_error', { during: 'data_version', error: (err as Error).message });
      return;
    }
    if (version === this.dataVersion) return;
    if (endRevoked(this.ctx)) this.dataVersion = version;
  }

  /**
   * Another cluster node changed these accounts (folded names: a password, a removal): their live logins
   * here are checked as after an outside change to the file.
   */
  accountsChanged(keys: ReadonlySet<string>): void {
    endRevoked(this.ctx, keys);
  }

  /** Tell everyone the server is going down and close every connection after that notice. */
  shutdown(reason: string): void {
    const notice: ServerMessage = { type: 'shutdown', reason };
    const online = this.directory.online;
    for (const s of this.directory.all()) {
      this.ctx.send(s, notice);
      this.out.close(s.id);
      if (s.account) this.ctx.persist(s, 'shutdown', undefined, () => this.ctx.accounts?.seen(s.name!, this.ctx.clock()));
    }
    this.ctx.log('shutdown', { reason, users: online });
    this.directory.clear();
    for (const room of this.rooms.all()) room.clear();
  }

  /**
   * While a password check of `s` runs, its frames wait (PROTOCOL.md §4: answers in request order): true
   * when `replay` was held. Past MAX_HELD_FRAMES the connection is flooding and is closed.
   */
  private held(s: Session, replay: () => void): boolean {
    if (!s.checking) return false;
    this.heard(s);
    const held = (s.held ??= []);
    if (held.length >= MAX_HELD_FRAMES) {
      this.ctx.remove(s, 'kicked', `more than ${MAX_HELD_FRAMES} requests while a password was checked`);
      return true;
    }
    held.push(replay);
    return true;
  }

  /** Anything from a connection counts as a sign of life. */
  private heard(s: Session): number {
    const now = this.ctx.clock();
    s.lastHeard = now;
    s.pingSent = false;
    return now;
  }

  private spend(s: Session, now: number, ref: string | undefined): boolean {
    const { opts } = this.ctx;
    if (opts.ratePerSecond <= 0 || (s.bucket ??= new TokenBucket(opts.rateBurst, opts.ratePerSecond, now)).take(now)) return true;
    this.ctx.error(s, 'rate_limited', `slow down: at most ${opts.rateBurst} requests at once, then ${opts.ratePerSecond} per second; this one was dropped`, { ref });
    return false;
  }
}

/**
 * How much earlier than the ping interval connection `id` is pinged: an offset in [0, `spread`) ms
 * (PING_SPREAD_MS), from its id alone (no state per connection). Ids are handed out in order, and
 * consecutive ids land 997 ms apart modulo the spread (997 is prime), so connections that came together
 * are spread over the whole range instead of bunched.
 */
function pingOffset(id: ConnId, spread: number): number {
  return spread > 0 ? (id * 997) % spread : 0;
}
