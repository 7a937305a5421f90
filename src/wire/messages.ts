import { MAX_BLOCKS, MAX_NAME_CHARS, MAX_REASON_CHARS, MAX_REF_CHARS, MAX_ROOM_NAME_CHARS, MAX_ROOMS_PER_USER, MAX_TOKEN_CHARS } from './limits.js';
import { codePointLength } from './sanitize.js';

// Every frame is one JSON object with a `type`. PROTOCOL.md documents each message; the types here are
// the source of truth and the validators below accept exactly them.

/** A client's own tag for a request, echoed on the reply or error it causes. */
type Ref = { ref?: string };
/** Protocol version 2: the room a request is about; without it, the server's default room. */
type InRoom = { room?: string };

export type ClientMessage =
  /**
   * `password` or `token` log in to a registered name (issue 4); without them the name joins as a guest.
   * `last`: after a reconnect, the newest message id the client has of each room, so that the server
   * replays only what is newer (PROTOCOL.md §6.1). `blocks`: a guest's blocks, given again after a
   * reconnect (a guest's blocks live with its connection on the server). `grouped`: the client reads
   * `names` in `joined` and `left` (PROTOCOL.md §15.3.1: grouped notices of a busy room). `usersOnce`: the
   * client takes the default room's members from its `room` frame, so `welcome` leaves them out (§15.3).
   */
  | ({ type: 'hello'; name: string; version: number; password?: string; token?: string; session?: string; last?: LastSeen[]; blocks?: string[]; grouped?: boolean; usersOnce?: boolean } & Ref)
  /** `notice`: an automatic message (a bot's, IRC's NOTICE) that nobody should answer automatically. */
  | ({ type: 'say'; text: string; action?: boolean; notice?: boolean } & InRoom & Ref)
  | ({ type: 'whisper'; to: string; text: string; notice?: boolean } & Ref)
  | ({ type: 'nick'; name: string } & Ref)
  | ({ type: 'list' } & InRoom & Ref)
  | ({ type: 'quit'; reason?: string } & Ref)
  | ({ type: 'ping'; token?: string } & Ref)
  | ({ type: 'pong'; token?: string } & Ref)
  // Accounts and presence (issue 4).
  | ({ type: 'register'; password: string } & Ref)
  /** `since` seconds: also registered users seen that recently; without it, only who is online. */
  | ({ type: 'whoelse'; since?: number } & Ref)
  /** Without `name`: list what is blocked. */
  | ({ type: 'block'; name?: string } & Ref)
  | ({ type: 'unblock'; name: string } & Ref)
  /** The whispers stored for us while offline, up to id `upTo`, have arrived: the server may forget them. */
  | { type: 'ack'; upTo: number }
  /** Away (issue 17): `message` is what someone who whispers you is told; without it, just "away". */
  | ({ type: 'away'; message?: string } & Ref)
  /** No longer away. */
  | ({ type: 'back' } & Ref)
  // Session tokens (issue 10, PROTOCOL.md §9, "Sessions and tokens").
  /** List this account's sessions (reply: sessions). */
  | ({ type: 'sessions' } & Ref)
  /**
   * End one other session (`session`: its id) or every other one (`all`). `password` proves the account
   * again when this connection resumed with a token.
   */
  | ({ type: 'logout'; session?: string; all?: boolean; password?: string } & Ref)
  /**
   * Take a server administrator's rights on this connection with the password of the administrator account
   * `name` (IRC's OPER): the connection keeps its own name. Reply: oper.
   */
  | ({ type: 'oper'; name: string; password: string } & Ref)
  /** Invite `name` (online) to `room`, which the inviter is in (IRC's INVITE). Reply: invited. */
  | ({ type: 'invite'; room: string; name: string } & Ref)
  /** A server administrator disconnects `name` from the server (IRC's KILL), telling them `reason`. */
  | ({ type: 'kill'; name: string; reason?: string } & Ref)
  /** Change this account's password: `old` is the current one. Ends every session (reply: password_changed). */
  | ({ type: 'password'; old: string; password: string } & Ref)
  | RoomClientMessage
  | PrivateClientMessage;

/** The newest message `id` a client has of `room` (absent `room`: the default room). */
export interface LastSeen {
  room?: string;
  id: number;
}

/** Rooms (protocol version 2, issue 13). `seconds`: a ban or mute that lapses; without it, until lifted. */
export type RoomClientMessage =
  | ({ type: 'join'; room: string } & Ref)
  | ({ type: 'part'; reason?: string } & InRoom & Ref)
  | ({ type: 'rooms' } & Ref)
  /** Without `text`: show the topic; `text: ""` clears it. */
  | ({ type: 'topic'; text?: string } & InRoom & Ref)
  | ({ type: 'kick'; name: string; reason?: string } & InRoom & Ref)
  | ({ type: 'ban'; name: string; seconds?: number; reason?: string } & InRoom & Ref)
  | ({ type: 'unban'; name: string } & InRoom & Ref)
  | ({ type: 'mute'; name: string; seconds?: number } & InRoom & Ref)
  | ({ type: 'unmute'; name: string } & InRoom & Ref)
  | ({ type: 'op'; name: string } & InRoom & Ref)
  | ({ type: 'deop'; name: string } & InRoom & Ref)
  | ({ type: 'topic_lock'; locked: boolean } & InRoom & Ref)
  | ({ type: 'close'; room: string; reason?: string } & Ref);

/** The request types that exist only in protocol version 2 (rooms, and away: a version-1 client never sees its events). */
export const ROOM_REQUESTS: readonly ClientType[] = ['join', 'part', 'rooms', 'topic', 'kick', 'ban', 'unban', 'mute', 'unmute', 'op', 'deop', 'topic_lock', 'close', 'away', 'back', 'invite'];

/** Direct private chat: asking, consent and the hand-over of connection details (PROTOCOL.md §10). */
export type PrivateClientMessage =
  | ({ type: 'private'; to: string } & Ref)
  | ({ type: 'allow'; name: string } & Ref)
  | ({ type: 'deny'; name: string } & Ref)
  /** The asker's listener is open on this port (of the address the server sees the asker at). */
  | ({ type: 'private_port'; link: string; port: number } & Ref)
  /** Stop a private chat, or report that the direct link could not be made or was lost. */
  | ({ type: 'private_end'; name: string; reason: PrivateEndByClient } & Ref);

/** Why a private chat ended, as the server tells the other side. */
export type PrivateEndReason = 'denied' | 'cancelled' | 'stopped' | 'left' | 'timeout' | 'unreachable' | 'failed' | 'lost';
/** The reasons a client may give in private_end; the rest are the server's own. */
export type PrivateEndByClient = 'stopped' | 'unreachable' | 'failed' | 'lost';
export const PRIVATE_END_BY_CLIENT: readonly PrivateEndByClient[] = ['stopped', 'unreachable', 'failed', 'lost'];

export type ClientType = ClientMessage['type'];

/** Why a user left the room: `part` (left this room only), `banned` (removed by a ban) are version 2's. */
export type LeaveReason = 'quit' | 'lost' | 'timeout' | 'kicked' | 'part' | 'banned';
export const LEAVE_REASONS: readonly LeaveReason[] = ['quit', 'lost', 'timeout', 'kicked', 'part', 'banned'];
/** Human words for why someone left: the client's lines and the server's log say the same. */
export const LEAVE_WORDS: Record<LeaveReason, string> = {
  quit: 'quit',
  lost: 'connection lost',
  timeout: 'timed out',
  kicked: 'kicked',
  part: 'left the room',
  banned: 'banned',
};

/** A moderation step, as shown to the room. */
export type ModerationAction = 'ban' | 'unban' | 'mute' | 'unmute' | 'op' | 'deop' | 'lock' | 'unlock';

/** One line of `/rooms`: a room, how many are in it, and its topic. */
export interface RoomInfo {
  room: string;
  users: number;
  topic?: string;
}

export type ErrorCode =
  | 'malformed_json'
  | 'invalid_utf8'
  | 'frame_too_large'
  | 'unknown_type'
  | 'invalid_message'
  | 'unsupported_version'
  | 'not_registered'
  | 'already_registered'
  | 'invalid_name'
  | 'name_taken'
  | 'no_such_user'
  | 'empty_text'
  | 'text_too_long'
  | 'rate_limited'
  | 'registration_timeout'
  | 'too_many_connections'
  | 'not_parley'
  /** Plaintext from an address that must use TLS (or from anywhere, with --require-tls). */
  | 'tls_required'
  | 'private_refused'
  | 'no_such_request'
  | 'already_private'
  // Accounts and persistence (issue 4).
  | 'password_required'
  | 'login_failed'
  | 'locked'
  | 'bad_token'
  | 'busy'
  | 'name_registered'
  | 'weak_password'
  | 'accounts_off'
  | 'not_delivered'
  | 'mailbox_full'
  | 'too_many_blocks'
  | 'session_replaced'
  /** This live login was closed: its account's password was changed or the account removed elsewhere (issue 10). */
  | 'session_revoked'
  /** A server administrator disconnected you (kill). */
  | 'killed'
  /** The administrator rights of this connection ended: their account's password changed, or it was removed or demoted. */
  | 'admin_revoked'
  | 'idle_timeout'
  | 'server_error'
  // Abuse one source cannot win (issue 10).
  | 'slow_down'
  | 'name_confusable'
  | 'quota_exceeded'
  | 'disk_full'
  /** A request about sessions or the password from a connection not logged in to an account. */
  | 'no_account'
  /** logout names a session id the account does not have (any more). */
  | 'no_such_session'
  // Rooms (issue 13).
  | 'invalid_room'
  | 'no_such_room'
  | 'not_in_room'
  | 'too_many_rooms'
  | 'room_limit'
  | 'not_operator'
  | 'banned'
  | 'muted'
  | 'topic_locked'
  | 'too_many_bans'
  /** invite names someone who is in the room already. */
  | 'already_in_room';

/** A server's limits, advertised in welcome (PROTOCOL.md §5.2); lengths in code points, sizes in bytes. */
export interface ServerLimits {
  frameBytes: number;
  serverFrameBytes: number;
  textChars: number;
  nameChars: number;
  reasonChars: number;
  refChars: number;
  passwordChars: [number, number];
  rateBurst: number;
  /** 0: no flood control. */
  ratePerSecond: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  registrationTimeoutMs: number;
}

/**
 * One session (a login's token) of an account, as its owner sees it: `id` names it in logout; times in ms;
 * `from` is the source address of the login or of the last resume; `current`: the one asking. Times and
 * `from` are missing for tokens issued before the server kept them.
 */
export interface SessionInfo {
  id: string;
  created?: number;
  lastUsed?: number;
  from?: string;
  current?: boolean;
}

/** What a server offers, advertised in welcome (PROTOCOL.md §5.2). */
export interface ServerFeatures {
  accounts: 'off' | 'optional' | 'required';
  /** Room messages replayed on join (0: none). */
  history: number;
  offline: boolean;
  blocks: boolean;
  private: boolean;
  /** `away` and `back` are understood (issue 17); a server that predates them leaves it out. */
  away?: boolean;
}

export type ServerMessage =
  /**
   * `account`: logged in to a registered name; `token` resumes this login later; `blocked`: names this user
   * blocks; `session` names this session's remembered refs; `change_password`: choose a new password
   * (register). A server that predates them sends no `session`, `limits` or `features`.
   */
  | {
      type: 'welcome';
      version: number;
      name: string;
      /**
       * The default room's members; absent for a version-2 client that said hello with `usersOnce` when the
       * `room` frame of the default room follows with them (PROTOCOL.md §15.3).
       */
      users?: readonly string[];
      motd: string;
      session?: string;
      limits?: ServerLimits;
      features?: ServerFeatures;
      account?: boolean;
      token?: string;
      blocked?: string[];
      change_password?: boolean;
      /** Version 2: the rooms this session is in. */
      rooms?: string[];
      /** The names in `users` who are away (absent: nobody). */
      away?: string[];
    }
  /** `history`: replayed from before this user joined. `notice`: sent as a notice (say.notice). */
  | ({ type: 'message'; id: number; from: string; text: string; time: number; action?: boolean; history?: boolean; notice?: boolean } & InRoom & Ref)
  /**
   * `late`: stored while the recipient was offline, delivered at login; `stored`: the sender's copy of such a whisper.
   * `away` (the sender's copy only): the recipient is away, with this message ("" for none); said once per
   * sender per away period, as IRC's RPL_AWAY but not at every whisper.
   */
  | ({ type: 'whisper'; id: number; from: string; to: string; text: string; time: number; late?: boolean; stored?: boolean; away?: string; notice?: boolean } & Ref)
  /** `names` (to a client that said hello with `grouped`): everyone who joined at once, `name` first among them. */
  | { type: 'joined'; name: string; time: number; room?: string; names?: string[]; away?: string }
  /**
   * `by`: the operator who removed them (kick, ban). Your own `left` (name = you) ends your membership.
   * `names` (to a `grouped` client): everyone who left at once, for the same reason, `name` first among them.
   */
  | ({ type: 'left'; name: string; reason: LeaveReason; message?: string; time: number; by?: string; names?: string[] } & InRoom & Ref)
  | ({ type: 'renamed'; old: string; new: string; time: number } & Ref)
  /** `away`: the names in `users` who are away (absent: nobody). */
  | ({ type: 'users'; users: readonly string[]; away?: string[] } & InRoom & Ref)
  /** `name` went away (`away: true`, with `message` when they gave one) or came back; to everyone sharing a room with them. */
  | ({ type: 'away'; name: string; away: boolean; message?: string; time: number } & Ref)
  // Rooms (protocol version 2).
  /** You are in `room` now (reply to join, and at login for each room you are put back in). */
  | ({ type: 'room'; room: string; users: readonly string[]; operators: string[]; topic?: string; topicBy?: string; topicTime?: number; locked?: boolean; away?: string[] } & Ref)
  | ({ type: 'rooms'; rooms: RoomInfo[] } & Ref)
  /** The topic of `room` (set by `by` at `time`; empty: none). A reply to `topic` without text carries `ref`. */
  | ({ type: 'topic'; room: string; topic: string; by?: string; time?: number } & Ref)
  /** An operator's step, shown to the room. */
  | ({ type: 'moderation'; room: string; action: ModerationAction; by: string; name?: string; seconds?: number; reason?: string; time: number } & Ref)
  /** A server administrator closed the room: it is gone, and so is everyone's membership. */
  | ({ type: 'closed'; room: string; by: string; reason?: string; time: number } & Ref)
  /** `seconds`: how long a `locked` name stays locked. */
  | ({ type: 'error'; code: ErrorCode; message: string; re?: string; name?: string; seconds?: number } & Ref)
  | { type: 'shutdown'; reason: string }
  /** A request with no other reply (allow, deny, private_port, private_end) was carried out. */
  | ({ type: 'ok'; re: string } & Ref)
  | { type: 'ping'; token?: string }
  | ({ type: 'pong'; token?: string } & Ref)
  // Accounts and presence (issue 4).
  | ({ type: 'registered'; name: string; token: string } & Ref)
  /** `by` invites `name` to `room`: to `name`, and (with the ref) to `by` as the answer to invite. */
  | ({ type: 'invited'; room: string; by: string; name: string; time: number } & Ref)
  /** This connection has a server administrator's rights now, proven with the password of the administrator `name`. */
  | ({ type: 'oper'; name: string } & Ref)
  /** Reply to whoelse: `lastSeen` (ms) for users not online now. */
  | ({ type: 'seen'; users: SeenEntry[]; since?: number } & Ref)
  /** Reply to block/unblock: the whole list after the change. */
  | ({ type: 'blocks'; names: string[] } & Ref)
  /** Reply to sessions and logout: the account's sessions after the change; `ended`: how many logout ended. */
  | ({ type: 'sessions'; sessions: SessionInfo[]; ended?: number } & Ref)
  /** Reply to password: every session ended (`ended` of them); `token` resumes this one from now on. */
  | ({ type: 'password_changed'; name: string; token: string; ended: number } & Ref)
  | PrivateServerMessage;

export type PrivateServerMessage =
  /**
   * Someone asks you for a direct chat: answer with allow or deny. `host`: the asker's address as the server
   * sees it, where your client will connect if you allow (shown with the question; PROTOCOL.md §10.5).
   */
  | { type: 'private_request'; from: string; time: number; host?: string }
  /** Your request is with them now (the echo of `private`). */
  | ({ type: 'private_asked'; to: string } & Ref)
  /** They consented: listen on an ephemeral port and report it with private_port. */
  | { type: 'private_listen'; with: string; link: string; secret: string }
  /** The asker is listening: connect to host:port and authenticate with the secret. */
  | { type: 'private_connect'; with: string; link: string; secret: string; host: string; port: number }
  /** The private chat with `with` is over, or never started. */
  | { type: 'private_end'; with: string; reason: PrivateEndReason; time: number };


export interface SeenEntry {
  name: string;
  online: boolean;
  lastSeen?: number;
  /** Online and away: their away message ("" when they gave none). */
  away?: string;
}

export type ServerType = ServerMessage['type'];

export type Parsed<T> = { ok: true; message: T } | { ok: false; code: ErrorCode; message: string; re?: string; ref?: string };

export type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field checks; each returns an error sentence or null. Lengths are in code points (PROTOCOL.md §1). */
export const str = (o: Obj, k: string) => (typeof o[k] === 'string' ? null : `"${k}" must be a string`);
export const optStr = (o: Obj, k: string, max: number) =>
  o[k] === undefined
    ? null
    : typeof o[k] !== 'string'
      ? `"${k}" must be a string`
      : codePointLength(o[k] as string) > max
        ? `"${k}" has at most ${max} characters`
        : null;
export const num = (o: Obj, k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? null : `"${k}" must be a number`);
const optBool = (o: Obj, k: string) => (o[k] === undefined || typeof o[k] === 'boolean' ? null : `"${k}" must be true or false`);
const optNum = (o: Obj, k: string) => (o[k] === undefined ? null : num(o, k));
const seenList = (o: Obj, k: string) =>
  Array.isArray(o[k]) &&
  (o[k] as unknown[]).every((x) => isObject(x) && typeof x.name === 'string' && typeof x.online === 'boolean' && (x.lastSeen === undefined || typeof x.lastSeen === 'number') && (x.away === undefined || typeof x.away === 'string'))
    ? null
    : `"${k}" must be a list of {name, online, lastSeen?, away?}`;
const strings = (o: Obj, k: string) =>
  Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === 'string') ? null : `"${k}" must be a list of strings`;

export const port = (o: Obj, k: string) =>
  Number.isInteger(o[k]) && (o[k] as number) >= 1 && (o[k] as number) <= 65535 ? null : `"${k}" must be a port number from 1 to 65535`;
export const oneOf = (o: Obj, k: string, allowed: readonly string[]) =>
  typeof o[k] === 'string' && allowed.includes(o[k] as string) ? null : `"${k}" must be one of ${allowed.join(', ')}`;

export type Check = (o: Obj) => string | null;

const optAway = (o: Obj) => (o.away === undefined ? null : strings(o, 'away'));
/** A grouped notice's `names` (PROTOCOL.md §15.3.1). */
const optNames = (o: Obj) => (o.names === undefined ? null : strings(o, 'names'));

const ROOM_FIELD_CHARS = MAX_ROOM_NAME_CHARS + 8;
const optRoom = (o: Obj) => optStr(o, 'room', ROOM_FIELD_CHARS);
const room = (o: Obj) => str(o, 'room') ?? optStr(o, 'room', ROOM_FIELD_CHARS);
const optSeconds = (o: Obj) =>
  o.seconds === undefined || (Number.isInteger(o.seconds) && (o.seconds as number) > 0) ? null : '"seconds" must be a whole number above 0';
const optReason = (o: Obj) => optStr(o, 'reason', Infinity);
/** hello.last: one entry per room the client can be in, each `{room?, id}` with a whole id ≥ 0. */
const lastSeen = (o: Obj) =>
  o.last === undefined ||
  (Array.isArray(o.last) &&
    o.last.length <= MAX_ROOMS_PER_USER &&
    (o.last as unknown[]).every((x) => isObject(x) && Number.isSafeInteger(x.id) && (x.id as number) >= 0 && optRoom(x) === null))
    ? null
    : `"last" must be a list of at most ${MAX_ROOMS_PER_USER} {room?, id} (id a whole number)`;

const CLIENT_CHECKS: Record<ClientType, Check[]> = {
  // A password of any length is checked (and refused) by the server with a specific reply; the frame bounds it.
  hello: [
    (o) => str(o, 'name'),
    (o) => num(o, 'version'),
    (o) => optStr(o, 'password', Infinity),
    (o) => optStr(o, 'token', MAX_TOKEN_CHARS),
    (o) => optStr(o, 'session', MAX_REF_CHARS),
    (o) => lastSeen(o),
    (o) =>
      o.blocks === undefined || (Array.isArray(o.blocks) && o.blocks.length <= MAX_BLOCKS && (o.blocks as unknown[]).every((n) => typeof n === 'string' && codePointLength(n) <= MAX_NAME_CHARS))
        ? null
        : `"blocks" must be a list of at most ${MAX_BLOCKS} names`,
    (o) => optBool(o, 'grouped'),
    (o) => optBool(o, 'usersOnce'),
  ],
  say: [(o) => str(o, 'text'), (o) => optBool(o, 'action'), (o) => optBool(o, 'notice'), optRoom],
  whisper: [(o) => str(o, 'to'), (o) => str(o, 'text'), (o) => optBool(o, 'notice')],
  nick: [(o) => str(o, 'name')],
  list: [optRoom],
  // An over-long reason is cut, not refused: leaving must always work.
  quit: [(o) => optStr(o, 'reason', Infinity)],
  ping: [(o) => optStr(o, 'token', MAX_REF_CHARS)],
  pong: [(o) => optStr(o, 'token', MAX_REF_CHARS)],
  private: [(o) => str(o, 'to')],
  allow: [(o) => str(o, 'name')],
  deny: [(o) => str(o, 'name')],
  private_port: [(o) => str(o, 'link'), (o) => port(o, 'port')],
  private_end: [(o) => str(o, 'name'), (o) => oneOf(o, 'reason', PRIVATE_END_BY_CLIENT)],
  // Length is checked by the server with a specific reply (weak_password); the frame bounds it.
  register: [(o) => str(o, 'password')],
  whoelse: [(o) => optNum(o, 'since'), (o) => (o.since === undefined || (o.since as number) >= 0 ? null : '"since" must not be negative')],
  block: [(o) => optStr(o, 'name', Infinity)],
  unblock: [(o) => str(o, 'name')],
  ack: [(o) => num(o, 'upTo')],
  // Length is checked by the rule (text_too_long, as for a topic); the frame bounds it.
  away: [(o) => optStr(o, 'message', Infinity)],
  back: [],
  sessions: [],
  oper: [(o) => str(o, 'name'), (o) => str(o, 'password')],
  invite: [(o) => str(o, 'room'), (o) => str(o, 'name')],
  kill: [(o) => str(o, 'name'), (o) => optStr(o, 'reason', Infinity)],
  logout: [
    (o) => optStr(o, 'session', MAX_REF_CHARS),
    (o) => optBool(o, 'all'),
    (o) => optStr(o, 'password', Infinity),
    (o) => ((o.session !== undefined) !== (o.all === true) ? null : 'logout: give either "session" (an id from sessions) or "all": true'),
  ],
  password: [(o) => str(o, 'old'), (o) => str(o, 'password')],
  join: [room],
  part: [optRoom, optReason],
  rooms: [],
  topic: [optRoom, (o) => optStr(o, 'text', Infinity)],
  kick: [optRoom, (o) => str(o, 'name'), optReason],
  ban: [optRoom, (o) => str(o, 'name'), optSeconds, optReason],
  unban: [optRoom, (o) => str(o, 'name')],
  mute: [optRoom, (o) => str(o, 'name'), optSeconds],
  unmute: [optRoom, (o) => str(o, 'name')],
  op: [optRoom, (o) => str(o, 'name')],
  deop: [optRoom, (o) => str(o, 'name')],
  topic_lock: [optRoom, (o) => (typeof o.locked === 'boolean' ? null : '"locked" must be true or false')],
  close: [room, optReason],
};

const SERVER_CHECKS: Record<ServerType, Check[]> = {
  welcome: [
    (o) => num(o, 'version'),
    (o) => str(o, 'name'),
    (o) => (o.users === undefined ? null : strings(o, 'users')),
    (o) => str(o, 'motd'),
    (o) => optBool(o, 'account'),
    (o) => optStr(o, 'token', Infinity),
    (o) => (o.blocked === undefined ? null : strings(o, 'blocked')),
    (o) => optStr(o, 'session', Infinity),
    (o) => (o.limits === undefined || isObject(o.limits) ? null : '"limits" must be an object'),
    (o) => (o.features === undefined || isObject(o.features) ? null : '"features" must be an object'),
    (o) => optBool(o, 'change_password'),
    optAway,
  ],
  message: [(o) => num(o, 'id'), (o) => str(o, 'from'), (o) => str(o, 'text'), (o) => num(o, 'time'), (o) => optBool(o, 'action'), (o) => optBool(o, 'history'), (o) => optBool(o, 'notice')],
  whisper: [
    (o) => num(o, 'id'),
    (o) => str(o, 'from'),
    (o) => str(o, 'to'),
    (o) => str(o, 'text'),
    (o) => num(o, 'time'),
    (o) => optBool(o, 'late'),
    (o) => optBool(o, 'stored'),
    (o) => optStr(o, 'away', Infinity),
    (o) => optBool(o, 'notice'),
  ],
  joined: [(o) => str(o, 'name'), (o) => num(o, 'time'), optNames, (o) => optStr(o, 'away', Infinity)],
  left: [(o) => str(o, 'name'), (o) => optStr(o, 'reason', MAX_REASON_CHARS) ?? str(o, 'reason'), (o) => optStr(o, 'message', Infinity), (o) => num(o, 'time'), optNames],
  renamed: [(o) => str(o, 'old'), (o) => str(o, 'new'), (o) => num(o, 'time')],
  users: [(o) => strings(o, 'users'), optAway],
  away: [(o) => str(o, 'name'), (o) => (typeof o.away === 'boolean' ? null : '"away" must be true or false'), (o) => optStr(o, 'message', Infinity), (o) => num(o, 'time')],
  error: [(o) => str(o, 'code'), (o) => str(o, 'message'), (o) => optNum(o, 'seconds')],
  shutdown: [(o) => str(o, 'reason')],
  ok: [(o) => str(o, 're')],
  ping: [(o) => optStr(o, 'token', Infinity)],
  pong: [(o) => optStr(o, 'token', Infinity)],
  private_request: [(o) => str(o, 'from'), (o) => num(o, 'time'), (o) => optStr(o, 'host', 64)],
  private_asked: [(o) => str(o, 'to')],
  private_listen: [(o) => str(o, 'with'), (o) => str(o, 'link'), (o) => str(o, 'secret')],
  private_connect: [(o) => str(o, 'with'), (o) => str(o, 'link'), (o) => str(o, 'secret'), (o) => str(o, 'host'), (o) => port(o, 'port')],
  private_end: [(o) => str(o, 'with'), (o) => str(o, 'reason'), (o) => num(o, 'time')],
  registered: [(o) => str(o, 'name'), (o) => str(o, 'token')],
  oper: [(o) => str(o, 'name')],
  invited: [(o) => str(o, 'room'), (o) => str(o, 'by'), (o) => str(o, 'name'), (o) => num(o, 'time')],
  seen: [(o) => seenList(o, 'users'), (o) => optNum(o, 'since')],
  blocks: [(o) => strings(o, 'names')],
  room: [(o) => str(o, 'room'), (o) => strings(o, 'users'), (o) => strings(o, 'operators'), (o) => optStr(o, 'topic', Infinity), (o) => optBool(o, 'locked'), optAway],
  sessions: [
    (o) =>
      Array.isArray(o.sessions) &&
      (o.sessions as unknown[]).every(
        (x) =>
          isObject(x) &&
          typeof x.id === 'string' &&
          (x.created === undefined || typeof x.created === 'number') &&
          (x.lastUsed === undefined || typeof x.lastUsed === 'number') &&
          (x.from === undefined || typeof x.from === 'string') &&
          (x.current === undefined || typeof x.current === 'boolean'),
      )
        ? null
        : '"sessions" must be a list of {id, created?, lastUsed?, from?, current?}',
    (o) => optNum(o, 'ended'),
  ],
  password_changed: [(o) => str(o, 'name'), (o) => str(o, 'token'), (o) => num(o, 'ended')],
  rooms: [
    (o) =>
      Array.isArray(o.rooms) && (o.rooms as unknown[]).every((x) => isObject(x) && typeof x.room === 'string' && typeof x.users === 'number' && (x.topic === undefined || typeof x.topic === 'string'))
        ? null
        : '"rooms" must be a list of {room, users, topic?}',
  ],
  topic: [(o) => str(o, 'room'), (o) => str(o, 'topic'), (o) => optStr(o, 'by', Infinity), (o) => optNum(o, 'time')],
  moderation: [(o) => str(o, 'room'), (o) => str(o, 'action'), (o) => str(o, 'by'), (o) => optStr(o, 'name', Infinity), (o) => optNum(o, 'seconds'), (o) => num(o, 'time')],
  closed: [(o) => str(o, 'room'), (o) => str(o, 'by'), (o) => num(o, 'time')],
};

/** Validate one frame against a table of per-type checks (also used for the direct link's own messages). */
export function parseWith<T>(line: string, checks: Record<string, Check[]>): Parsed<T> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, code: 'malformed_json', message: 'the frame is not valid JSON' };
  }
  if (!isObject(value)) return { ok: false, code: 'invalid_message', message: 'a frame must be a JSON object' };
  const ref = typeof value.ref === 'string' && codePointLength(value.ref) <= MAX_REF_CHARS ? value.ref : undefined;
  const fail = (code: ErrorCode, message: string, re?: string): Parsed<T> => ({
    ok: false,
    code,
    message,
    ...(re !== undefined && { re }),
    ...(ref !== undefined && { ref }),
  });
  const type = value.type;
  if (typeof type !== 'string') return fail('invalid_message', 'a frame needs a "type" string');
  if (!Object.hasOwn(checks, type)) return fail('unknown_type', `unknown message type "${type.slice(0, 40)}"`, undefined);
  if (value.ref !== undefined && ref === undefined) {
    return fail('invalid_message', `"ref" must be a string of at most ${MAX_REF_CHARS} characters`, type);
  }
  for (const check of checks[type]!) {
    const problem = check(value);
    if (problem !== null) return fail('invalid_message', `${type}: ${problem}`, type);
  }
  return { ok: true, message: value as T };
}

/** Validate one frame from a client. Unknown extra fields are ignored; missing or mistyped ones are errors. */
export function parseClientMessage(line: string): Parsed<ClientMessage> {
  return parseWith<ClientMessage>(line, CLIENT_CHECKS);
}

/** Validate one frame from a server. A client checks too: the server might not be ours. */
export function parseServerMessage(line: string): Parsed<ServerMessage> {
  return parseWith<ServerMessage>(line, SERVER_CHECKS);
}

export const CLIENT_TYPES = Object.keys(CLIENT_CHECKS) as ClientType[];
