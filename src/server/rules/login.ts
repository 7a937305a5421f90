import {
  MAX_FRAME_BYTES,
  MAX_NAME_CHARS,
  MAX_PASSWORD_CHARS,
  MAX_REASON_CHARS,
  MAX_REF_CHARS,
  MAX_ROOMS_PER_USER,
  MAX_SERVER_FRAME_BYTES,
  MAX_TEXT_CHARS,
  MIN_PASSWORD_CHARS,
  PROTOCOL_VERSIONS,
} from '../../wire/limits.js';
import type { ClientMessage, ServerFeatures, ServerLimits } from '../../wire/messages.js';
import { foldName, nameProblem } from '../../wire/names.js';
import { foldRoom } from '../../wire/rooms.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { AuthResult } from '../accounts.js';
import type { ConnId, Session } from '../session.js';
import type { Room } from '../room.js';
import { FAILED, type Context } from './context.js';
import { refusedByBan, replay, sendRoomState } from './rooms.js';
import { awayField } from './away.js';
import { passwordReplaced } from './sessions.js';

// hello and register: who a connection is. A guest takes a free name; a password or token logs in to a
// registered one (checked asynchronously: the session may be gone when the answer comes).

export function hello(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'hello' }>, now: number): void {
  const ref = msg.ref;
  if (s.name !== undefined) return ctx.error(s, 'already_registered', `you are already in the room as ${s.name}; use /nick to change name`, { re: 'hello', ref });
  if (!PROTOCOL_VERSIONS.includes(msg.version)) {
    return ctx.error(s, 'unsupported_version', `this server speaks protocol versions ${PROTOCOL_VERSIONS.join(' and ')}, not ${msg.version}; update parley`, { re: 'hello', ref });
  }
  s.version = msg.version;
  s.codec = ctx.codecFor(s.codec, msg.version, msg.grouped === true);
  s.usersOnce = msg.version > 1 && msg.usersOnce === true;
  if (s.checking) return ctx.error(s, 'busy', 'your login is still being checked; wait for the answer', { re: 'hello', ref });
  // Continue an earlier session's refs only if this server still remembers it (PROTOCOL.md §5.3).
  if (msg.session !== undefined && ctx.accepted.has(msg.session)) s.refsKey = msg.session;
  // What the client already has of each room (default room when it names none): replayed from there on.
  s.lastSeen = msg.last === undefined ? undefined : new Map(msg.last.map((l) => [foldRoom(l.room ?? ctx.lobby.name), l.id]));
  const accounts = ctx.accounts;
  // A password or token always means "log in"; without one, a name that needs no password joins as a guest.
  // Without either, one read of the accounts answers both questions of a guest's hello: does the name need a
  // password, and does a registered name look like it (nameFree).
  const guest = accounts !== undefined && msg.password === undefined && msg.token === undefined ? ctx.lookup(s, 'hello', ref, () => accounts.guestCheck(msg.name)) : undefined;
  if (guest === FAILED) return;
  const login = accounts !== undefined && (msg.password !== undefined || msg.token !== undefined || guest!.needsPassword);
  if (!accounts || !login) {
    if (!ctx.nameFree(s, msg.name, 'hello', ref, false, guest)) return;
    // A guest's blocks live with its connection: a client coming back gives them again, before the replay
    // and the room's lines reach it. Checked as names only: whoever they name may be offline now.
    for (const name of msg.blocks ?? []) if (nameProblem(name) === null && foldName(name) !== foldName(msg.name)) s.blocks.add(name);
    return ctx.claimName(s, msg.name, false, 'hello', ref, (still) => enter(ctx, still, msg.name, ctx.clock(), ref));
  }
  const problem = nameProblem(msg.name);
  if (problem !== null) return ctx.error(s, 'invalid_name', `"${truncateCodePoints(sanitizeText(msg.name), 40)}" is not a valid name: ${problem}`, { re: 'hello', ref });
  if (msg.token !== undefined) {
    const resumed = ctx.persist(s, 'hello', ref, () => accounts.resume(msg.name, msg.token!, s.source));
    if (resumed === FAILED) return;
    return resumed instanceof Promise ? whenChecked(ctx, s, resumed, ref, false) : loginChecked(ctx, s, resumed, ref, false);
  }
  if (msg.password === undefined) {
    const why = accounts.mode === 'required' ? 'this server admits registered users only' : `the name ${msg.name} is registered`;
    return ctx.error(s, 'password_required', `${why}: log in with ${msg.name}'s password`, { re: 'hello', ref, name: msg.name });
  }
  whenChecked(ctx, s, accounts.login(msg.name, msg.password, s.source), ref, true);
}

/** A login whose answer takes a while (a password hash; in a cluster, a token's rotation): `s` waits for it. */
function whenChecked(ctx: Context, s: Session, checking: Promise<AuthResult>, ref: string | undefined, byPassword: boolean): void {
  const accounts = ctx.accounts!;
  ctx.checkStarts(s);
  const id = s.id;
  checking.then(
    (result) => {
      const still = ctx.directory.session(id);
      if (still) {
        loginChecked(ctx, still, result, ref, byPassword);
        ctx.checkDone(still);
      } else if (result.ok) ctx.persist(undefined, 'hello', undefined, () => accounts.endSession(result.token)); // gone while we checked
    },
    (err: unknown) => asyncFailed(ctx, id, 'hello', ref, err, byPassword ? undefined : 'the server could not check that token; try again later'),
  );
}

/** The completion of a login: a password check finished (`byPassword`), or a token was looked up and rotated. */
function loginChecked(ctx: Context, s: Session, result: AuthResult, ref: string | undefined, byPassword: boolean): void {
  if (!result.ok) {
    ctx.log('login_failed', { conn: s.id, addr: s.addr, code: result.code });
    return ctx.error(s, result.code, result.message, { re: 'hello', ref, ...(result.seconds !== undefined && { seconds: result.seconds }) });
  }
  // In a cluster the name is taken over first: an older session on another server is closed by its server.
  ctx.claimName(s, result.name, true, 'hello', ref, (s) => {
    // Only now, with the new login proven, is an older session of the same account closed.
    const older = ctx.directory.find(result.name);
    if (older && older !== s) {
      ctx.error(older, 'session_replaced', `${older.name} logged in from another location; this session is closed`);
      ctx.remove(older, 'kicked', 'logged in from another location');
    }
    s.account = true;
    s.token = result.token;
    s.credential = result.credential;
    s.proven = byPassword;
    s.mustChange = result.mustChange === true;
    enter(ctx, s, result.name, ctx.clock(), ref);
  });
}

/** What this server allows, for welcome (PROTOCOL.md §5.2): the client reads these instead of copies. */
function limitsOf(ctx: Context): ServerLimits {
  const { opts } = ctx;
  return {
    frameBytes: MAX_FRAME_BYTES,
    serverFrameBytes: MAX_SERVER_FRAME_BYTES,
    textChars: MAX_TEXT_CHARS,
    nameChars: MAX_NAME_CHARS,
    reasonChars: MAX_REASON_CHARS,
    refChars: MAX_REF_CHARS,
    passwordChars: [MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS],
    rateBurst: opts.rateBurst,
    ratePerSecond: Math.max(0, opts.ratePerSecond),
    pingIntervalMs: opts.pingIntervalMs,
    pingTimeoutMs: opts.pingTimeoutMs,
    registrationTimeoutMs: opts.registrationTimeoutMs,
  };
}

function featuresOf(ctx: Context): ServerFeatures {
  return {
    accounts: ctx.accounts?.mode ?? 'off',
    history: ctx.opts.historySize,
    offline: ctx.accounts !== undefined && ctx.store !== undefined,
    blocks: true,
    private: true,
    away: true,
  };
}

/**
 * A named session comes online: welcome, the rooms it is put in (the default room, and with version 2 the
 * rooms it was in before), their history, stored whispers, and a joined notice to each room.
 */
function enter(ctx: Context, s: Session, name: string, now: number, ref: string | undefined): void {
  s.name = name;
  const key = foldName(name);
  const lobby = ctx.lobby;
  // Version 1 has nowhere else to be: a ban from the default room keeps it out altogether.
  if (s.version === 1 && refusedByBan(ctx, s, lobby, 'hello', ref, now)) {
    s.name = undefined;
    return;
  }
  ctx.directory.bind(s);
  // Blocks a guest gave again in hello hold on the other servers of a cluster too.
  if (!s.account && s.blocks.size > 0) ctx.peers?.guestBlocks(name, s.blocks.keys());
  // A new login is not away, whatever an older session under this name said.
  ctx.away.clear(name);
  if (s.account) {
    ctx.persist(s, 'hello', undefined, () => {
      s.blocks.attach(key);
      ctx.accounts!.seen(name, now);
      s.admin = ctx.store?.isAdmin(key) ?? false;
      if (s.admin && s.credential !== undefined) s.adminOf = { key, name, credential: s.credential };
    });
  }
  const rooms: Room[] = [];
  const allowed = (room: Room) => room.banOf(key, s.account ? undefined : s.ip, now) === undefined;
  if (s.version === 1 || (s.defaultRoom && allowed(lobby))) rooms.push(lobby);
  if (s.version > 1) {
    for (const room of ctx.rooms.keptFor(key)) if (room !== lobby && rooms.length < MAX_ROOMS_PER_USER && allowed(room)) rooms.push(room);
  }
  for (const room of rooms) room.add(s);
  const blocked = s.blocks.list();
  // The default room's members, unless the client takes them from that room's frame, which follows at once.
  const users = rooms[0] !== lobby ? [] : s.usersOnce === true ? undefined : lobby.namesFor(s);
  ctx.send(s, {
    type: 'welcome',
    version: s.version,
    name,
    ...(users !== undefined && { users, ...awayField(ctx, users) }),
    motd: ctx.opts.motd,
    session: s.refsKey,
    limits: limitsOf(ctx),
    features: featuresOf(ctx),
    ...(s.account && { account: true, token: s.token! }),
    ...(blocked.length > 0 && { blocked }),
    rooms: rooms.map((r) => r.name),
    ...(s.mustChange && { change_password: true }),
  });
  for (const room of rooms) {
    if (s.version > 1) sendRoomState(ctx, s, room);
    replay(ctx, s, room, s.lastSeen?.get(room.key));
  }
  s.lastSeen = undefined;
  if (s.account) deliverStored(ctx, s, key);
  for (const room of rooms) room.publish({ type: 'joined', room: room.name, name, time: now }, s, key);
  // In no room, nothing above tells the other servers of a cluster that this name is online here.
  if (rooms.length === 0) ctx.peers?.online(name);
  ctx.log('join', { conn: s.id, name, addr: s.addr, account: s.account || undefined });
}

/**
 * Whispers that arrived while the user was away, with their original time. They stay stored until the
 * client acknowledges them (ack): a connection that dies while they are on the way loses nothing, and they
 * come again at the next login (at least once; the client shows each id once).
 */
function deliverStored(ctx: Context, s: Session, key: string): void {
  const store = ctx.store!;
  ctx.persist(s, 'hello', undefined, () => {
    const mail = store.offlineFor(key);
    if (mail.length === 0) return;
    for (const w of mail) {
      if (s.blocks.has(foldName(w.from))) continue;
      ctx.backlog(s, { type: 'whisper', id: w.id, from: w.from, to: s.name!, text: w.text, time: w.time, late: true });
    }
    s.mailUpTo = mail[mail.length - 1]!.id;
    ctx.log('offline_delivered', { conn: s.id, name: s.name, count: mail.length });
  });
}

/** The client has the stored whispers up to `upTo`: forget them (no further than what it was sent). */
export function ack(ctx: Context, s: Session, upTo: number): void {
  if (!s.account || s.mailUpTo === undefined) return;
  const last = Math.min(upTo, s.mailUpTo);
  ctx.persist(undefined, 'ack', undefined, () => ctx.store!.dropOffline(foldName(s.name!), last));
  if (last >= s.mailUpTo) s.mailUpTo = undefined;
  ctx.log('offline_acked', { conn: s.id, name: s.name, upTo: last });
}

export function register(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'register' }>): void {
  const ref = msg.ref;
  const accounts = ctx.accounts;
  if (!accounts) return ctx.error(s, 'accounts_off', 'this server has no accounts (it runs with --auth off)', { re: 'register', ref });
  if (s.account && !s.mustChange) return ctx.error(s, 'name_registered', `you are already logged in to the account ${s.name}`, { re: 'register', ref });
  if (s.checking) return ctx.error(s, 'busy', 'a registration is already being checked; wait for the answer', { re: 'register', ref });
  ctx.checkStarts(s);
  const id = s.id;
  const name = s.name!;
  // An account imported with a weak password registers again to choose a new one (PROTOCOL.md §9).
  const replacing = s.account;
  const work = replacing ? accounts.changePassword(name, msg.password, s.source) : accounts.register(name, msg.password, s.source);
  work.then(
    (result) => {
      const still = ctx.directory.session(id);
      if (!still) {
        if (replacing && result.ok) passwordReplaced(ctx, undefined, foldName(result.name), result.credential);
        return;
      }
      registerChecked(ctx, still, result, ref, replacing);
      ctx.checkDone(still);
    },
    (err: unknown) => asyncFailed(ctx, id, 'register', ref, err),
  );
}

function registerChecked(ctx: Context, s: Session, result: AuthResult, ref: string | undefined, replaced: boolean): void {
  if (!result.ok) return ctx.error(s, result.code, result.message, { re: 'register', ref });
  s.account = true;
  s.proven = true;
  s.mustChange = false;
  s.token = result.token;
  s.credential = result.credential;
  ctx.persist(s, 'register', ref, () => s.blocks.attach(foldName(result.name)));
  ctx.send(s, { type: 'registered', name: result.name, token: result.token, ...(ref !== undefined && { ref }) });
  ctx.log('register', { conn: s.id, name: result.name });
  // An imported account chose its new password: what was won with the old one elsewhere ends.
  if (replaced) passwordReplaced(ctx, s, foldName(result.name), result.credential);
}

/** A password check threw (not a wrong password: a bug or a broken database). The connection may try again. */
export function asyncFailed(ctx: Context, id: ConnId, re: string, ref: string | undefined, err: unknown, said = 'the server could not check that password; try again later'): void {
  ctx.log('store_error', { during: re, error: (err as Error).message });
  const s = ctx.directory.session(id);
  if (!s) return;
  ctx.error(s, 'server_error', said, { re, ref });
  ctx.checkDone(s);
}
