import { LEAVE_WORDS, type ErrorCode, type LeaveReason } from '../../wire/messages.js';
import { nameProblem, foldName } from '../../wire/names.js';
import { checkText, sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { Accounts } from '../accounts.js';
import { AwayBook } from '../away.js';
import type { Accepted, AcceptedRefs } from '../accepted.js';
import type { Directory } from '../directory.js';
import type { ChatEvent, Codec as ChatCodec } from '../events.js';
import type { PrivateDesk, Delivery } from '../private.js';
import type { Room } from '../room.js';
import type { Rooms } from '../rooms.js';
import { roomProblem } from '../../wire/rooms.js';
import type { ConnId, Session } from '../session.js';
import type { Store } from '../store.js';
import type { Peers } from '../peers.js';

// What every command's rules share: the server's state (directory, rooms, store, accounts) and the ways
// to answer (events to one session, errors, store calls that fail softly). The hub builds one Context;
// the rules in this folder are functions of it.

export interface Outbox {
  /**
   * Queue bytes for one connection. The same Buffer may be handed to many connections. `backlog` bytes
   * (history and stored whispers at login) are allowed on top of the send-queue cap until they drain.
   */
  send(conn: ConnId, frame: Buffer, backlog?: boolean): void;
  /** Close a connection once what is queued for it has been written (if it can still be written). */
  close(conn: ConnId): void;
  /**
   * Stop (true) or resume (false) reading a connection while its requests wait for a password check, so
   * its frames wait in the kernel rather than in memory. Optional: a shell without it has its frames held
   * by the hub (at most MAX_HELD_FRAMES).
   */
  hold?(conn: ConnId, holding: boolean): void;
}

export type LogFields = Record<string, string | number | boolean | undefined>;
export type HubLog = (event: string, fields: LogFields) => void;

/** The hub's settings after defaults (see HubOptions). */
export interface Settings {
  motd: string;
  logWhisperText: boolean;
  /** Log each room message with its text (HubOptions.logMessages). */
  logMessages: boolean;
  rateBurst: number;
  ratePerSecond: number;
  registrationTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  maxConnectionsPerIp: number;
  historySize: number;
  idleTimeoutMs: number;
  /** Rooms the server keeps at most (MAX_ROOMS; tests shrink it). */
  maxRooms: number;
}

/** What persist and lookup return when the store failed (distinct from any value, `undefined` included). */
export const FAILED = Symbol('store failed');

export type ErrorExtra = { re?: string | undefined; ref?: string | undefined; name?: string; seconds?: number };


export function errorEvent(code: ErrorCode, message: string, extra: ErrorExtra = {}): ChatEvent {
  return {
    type: 'error',
    code,
    message,
    ...(extra.re !== undefined && { re: extra.re }),
    ...(extra.ref !== undefined && { ref: extra.ref }),
    ...(extra.name !== undefined && { name: extra.name }),
    ...(extra.seconds !== undefined && { seconds: extra.seconds }),
  };
}

export class Context {
  private nextId = 1;
  /** Message ids handed out by this server since it started (room lines, whispers): its chat traffic. */
  messagesIssued = 0;
  /** Who is away (issue 17): this server's users and, in a cluster, the others' as their events arrive. */
  readonly away = new AwayBook();

  constructor(
    readonly out: Outbox,
    readonly clock: () => number,
    readonly log: HubLog,
    readonly opts: Settings,
    readonly directory: Directory,
    /** Every room; `rooms.lobby` is the default room, the one room of protocol version 1. */
    readonly rooms: Rooms,
    /** The codec a connection of `codec` uses once it said hello with `version` (NDJSON has a version-1 form). */
    /** The codec a session speaks after hello: by its protocol version, and whether it reads grouped notices. */
    readonly codecFor: (codec: ChatCodec, version: number, grouped: boolean) => ChatCodec,
    readonly accepted: AcceptedRefs,
    readonly privateDesk: PrivateDesk,
    readonly store: Store | undefined,
    readonly accounts: Accounts | undefined,
    /** The other servers of a cluster (src/server/peers.ts); undefined on a lone server. */
    readonly peers?: Peers,
  ) {
    if (store) {
      this.nextId = store.firstMessageId();
      store.onBusy = (err) => log('store_busy', { error: err.message });
      store.onWriteError = (err, rows) => log('store_error', { during: 'history', rows, error: err.message });
      store.onPruneError = (err) => log('store_error', { during: 'prune', error: err.message });
      store.keepHistory(opts.historySize);
    }
  }

  /** An event for one session, in its protocol. */
  send(s: Session, event: ChatEvent): void {
    const frame = s.codec.encode(event);
    if (frame !== null) this.out.send(s.id, frame);
  }

  /**
   * A check for `s` starts (a password hash, a name claim in a cluster): its later frames wait until the
   * matching checkDone (PROTOCOL.md §4). Checks may nest: a login's hash, then its name claim.
   */
  checkStarts(s: Session): void {
    if (s.checks++ === 0) {
      s.checking = true;
      s.checkStarted = this.clock();
      this.out.hold?.(s.id, true);
    }
  }

  /**
   * A check's answer has been sent. When it was the last one running, the frames that arrived meanwhile
   * are handled now, in order, until one of them starts another check. Call it after the answer, so
   * nothing held overtakes it.
   */
  checkDone(s: Session): void {
    if (s.checks > 0 && --s.checks === 0) {
      s.checking = false;
      s.checkedMs += this.clock() - s.checkStarted;
      this.out.hold?.(s.id, false);
    }
    const held = s.held;
    if (held === undefined) return;
    while (held.length > 0 && !s.checking && this.directory.session(s.id) === s) held.shift()!();
    // Kept only while frames wait (a replayed frame may have started another check).
    if (held.length === 0 || this.directory.session(s.id) !== s) s.held = undefined;
  }

  /** The sender's own copy, carrying its ref so it can mark that message accepted. */
  echo(s: Session, event: ChatEvent, ref: string | undefined): void {
    if (ref === undefined) return this.send(s, event);
    const frame = s.codec.encodeWithRef ? s.codec.encodeWithRef(event, ref) : s.codec.encode({ ...event, ref } as ChatEvent);
    if (frame !== null) this.out.send(s.id, frame);
  }

  /**
   * History and stored whispers at login arrive all at once and are bounded by their own limits (--history,
   * MAX_OFFLINE_PER_USER): they must not count against the send-queue cap, or whoever fills a mailbox
   * could get its owner dropped at every login.
   */
  backlog(s: Session, event: ChatEvent): void {
    const frame = s.codec.encode(event);
    if (frame !== null) this.out.send(s.id, frame, true);
  }

  error(s: Session, code: ErrorCode, message: string, extra: ErrorExtra = {}): void {
    this.send(s, errorEvent(code, message, extra));
    this.log('error', { conn: s.id, name: s.name, code, re: extra.re });
  }

  /** The next message id; with a store, ids are never reused across restarts. */
  messageId(): number {
    this.messagesIssued++;
    if (this.peers) return this.peers.nextId();
    const id = this.nextId++;
    if (this.store) this.persist(undefined, 'message_id', undefined, () => this.store!.reserveId(id));
    return id;
  }

  /**
   * Run a store operation. A failure (disk full, file removed) is logged and, when `s` is given, reported
   * to that user as server_error; the result is then FAILED and the caller drops the request.
   */
  persist<T>(s: Session | undefined, re: string, ref: string | undefined, work: () => T): T | typeof FAILED {
    try {
      return work();
    } catch (err) {
      this.log('store_error', { during: re, conn: s?.id, error: (err as Error).message });
      if (s) this.error(s, 'server_error', 'the server could not save that; it was not sent — try again later', { re, ref });
      return FAILED;
    }
  }

  /**
   * A store read for `s` (is this name registered? is that user offline?). These run inside the socket's
   * data handler, so a failing disk used to throw through to the crash handler and take the whole server
   * down; now the requester gets server_error and everyone else goes on.
   */
  lookup<T>(s: Session, re: string, ref: string | undefined, work: () => T): T | typeof FAILED {
    try {
      return work();
    } catch (err) {
      this.log('store_error', { during: re, conn: s.id, error: (err as Error).message });
      this.error(s, 'server_error', 'the server could not read its database; try again later', { re, ref });
      return FAILED;
    }
  }

  /**
   * Whether `name` is valid and free (or `ownKey`: the caller's own, changing case); tells `s` why not.
   * `accounts`: the registered look-alike already read for this name (Accounts.guestCheck), if it was.
   */
  nameFree(s: Session, name: string, re: string, ref: string | undefined, ownKey = false, accounts?: { lookAlike: string | undefined }): boolean {
    const problem = nameProblem(name);
    if (problem !== null) {
      this.error(s, 'invalid_name', `"${truncateCodePoints(sanitizeText(name), 40)}" is not a valid name: ${problem}`, { re, ref });
      return false;
    }
    if (!ownKey && (this.directory.has(foldName(name)) || this.peers?.remoteName(foldName(name)) !== undefined)) {
      this.error(s, 'name_taken', `the name ${name} is taken; pick another`, { re, ref, name });
      return false;
    }
    const online = this.directory.lookAlike(name);
    const registered = online !== undefined || !this.accounts ? undefined : accounts !== undefined ? accounts.lookAlike : this.lookup(s, re, ref, () => this.accounts!.store.lookAlike(name));
    if (registered === FAILED) return false;
    const like = online !== undefined && foldName(online) !== foldName(name) ? online : registered;
    if (like !== undefined) {
      this.error(s, 'name_confusable', `the name ${name} looks too much like ${like} (I, l and 1, O and 0, rn and m count as the same); pick another`, { re, ref, name });
      return false;
    }
    return true;
  }

  /**
   * In a cluster, claim `name` across the servers, then run `then` (a lone server runs it at once). The
   * session waits meanwhile (`checking`); it is told name_taken if another server holds the name, or
   * server_error if the cluster cannot be asked, and nothing happens if it left in between. `force` is
   * for a proven login, which takes its own name over from an older session elsewhere.
   */
  claimName(s: Session, name: string, force: boolean, re: string, ref: string | undefined, then: (s: Session) => void): void {
    const peers = this.peers;
    if (!peers) return then(s);
    const id = s.id;
    // The connection's later requests wait for the claim, as for a password check.
    this.checkStarts(s);
    peers.claim(id, name, force).then(
      (won) => {
        const still = this.directory.session(id);
        if (!still) {
          if (won) peers.release(id, name);
          return;
        }
        if (!won) this.error(still, 'name_taken', `the name ${name} is taken; pick another`, { re, ref, name });
        else then(still);
        this.checkDone(still);
      },
      (err: Error) => {
        this.log('cluster_error', { during: re, conn: id, error: err.message });
        const still = this.directory.session(id);
        if (!still) return;
        this.error(still, 'server_error', 'the servers cannot agree on names right now (their Redis is unreachable); try again in a moment', { re, ref });
        this.checkDone(still);
      },
    );
  }

  /** A say or whisper was accepted under `ref`: a resend (here, or in a cluster on another server) is answered, not relayed again. */
  remember(sender: string, ref: string, entry: Accepted): void {
    this.accepted.remember(sender, ref, entry);
    this.peers?.accepted(sender, ref, entry);
  }

  /** Sanitised text, or null after telling the sender why it was refused. */
  cleanText(s: Session, raw: string, re: string, ref: string | undefined): string | null {
    const checked = checkText(raw);
    if (checked.ok) return checked.text;
    this.error(s, checked.code, checked.message, { re, ref });
    return null;
  }

  /** Rooms with messages added since the last maintenance, whose history is then cut to size. */
  readonly historyAdded = new Set<Room>();

  noteHistory(room: Room): void {
    this.historyAdded.add(room);
  }

  /** The default room. */
  get lobby(): Room {
    return this.rooms.lobby;
  }

  /**
   * The room a request of `s` is about (`name`, or the default room without one), in which `s` must be
   * a member unless `member` is false; or null after telling `s` why not.
   */
  roomFor(s: Session, name: string | undefined, re: string, ref: string | undefined, member = true): Room | null {
    const shown = name === undefined ? this.lobby.name : truncateCodePoints(sanitizeText(name), 40);
    if (name !== undefined) {
      const problem = roomProblem(name);
      if (problem !== null) {
        this.error(s, 'invalid_room', `"${shown}" is not a room name: ${problem}`, { re, ref });
        return null;
      }
    }
    const room = name === undefined ? this.lobby : this.rooms.get(name);
    if (!room) {
      this.error(s, 'no_such_room', `there is no room ${shown}; /rooms lists them, /join ${shown} creates it`, { re, ref });
      return null;
    }
    if (member && !s.rooms.has(room)) {
      this.error(s, 'not_in_room', `you are not in ${room.name}; /join ${room.name} first`, { re, ref });
      return null;
    }
    return room;
  }

  /** Whether `s` may moderate `room`: one of its operators, or a server administrator. */
  isOperator(room: Room, s: Session): boolean {
    return s.admin || (s.name !== undefined && room.operators.has(foldName(s.name)));
  }

  /** Forget a room that nobody is in, keeps or remembers (it then is no longer listed). */
  forgetIfIdle(room: Room): void {
    if (room === this.lobby || !room.idle) return;
    this.rooms.drop(room);
    if (this.store) this.persist(undefined, 'forget_room', undefined, () => this.store!.forgetIdleRoom(room.key));
    this.log('room_forgotten', { room: room.name });
  }

  /** Frames from the private-chat desk. The log names the step, never the secret or an address. */
  deliverPrivate(deliveries: Delivery[]): void {
    for (const { to, msg } of deliveries) {
      const s = this.directory.session(to);
      if (s) this.send(s, msg);
      if (msg.type === 'error') this.log('error', { conn: to, name: s?.name, code: msg.code, re: msg.re });
      else this.log('private', { conn: to, step: msg.type, reason: msg.type === 'private_end' ? msg.reason : undefined });
    }
  }

  /**
   * The session ends: out of the directory and its rooms, its connection closed, and each room it was in
   * told. Idempotent through the directory: a session already gone is not there to remove.
   */
  remove(s: Session, reason: LeaveReason, why?: string): void {
    const privateEnded = s.name === undefined ? [] : this.privateDesk.drop(s.id); // while s's name is still known
    const rooms = [...s.rooms];
    const wasOnline = this.directory.remove(s);
    this.out.close(s.id);
    if (s.name !== undefined) {
      const key = foldName(s.name);
      if (wasOnline) this.peers?.release(s.id, s.name);
      // A session replaced by a newer login is no longer the one under this name; it is not in the rooms.
      for (const room of rooms) room.remove(s);
      if (wasOnline) this.away.clear(s.name);
      if (s.account) this.persist(undefined, 'leave', undefined, () => this.accounts?.seen(s.name!, this.clock()));
      const time = this.clock();
      const left = (room: Room) => ({ type: 'left', room: room.name, name: s.name!, reason, ...(why !== undefined && why !== '' && { message: why }), time }) as const;
      for (const room of rooms) {
        room.publish(left(room), s, key);
        // A guest's operator status ends with its session: the name may be someone else's next.
        if (!s.account && room.operators.has(key)) room.operators.delete(key);
        this.forgetIfIdle(room);
      }
      this.deliverPrivate(privateEnded);
    }
    this.log('leave', { conn: s.id, addr: s.addr, name: s.name, reason: LEAVE_WORDS[reason], why });
  }
}

