import { PROTOCOL_VERSION } from '../../wire/limits.js';
import type { ClientMessage } from '../../wire/messages.js';
import { foldName, nameProblem } from '../../wire/names.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { AuthResult } from '../accounts.js';
import type { ConnId, Session } from '../session.js';
import { FAILED, type Context } from './context.js';

// hello and register: who a connection is. A guest takes a free name; a password or token logs in to a
// registered one (checked asynchronously: the session may be gone when the answer comes).

export function hello(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'hello' }>, now: number): void {
  const ref = msg.ref;
  if (s.name !== undefined) return ctx.error(s, 'already_registered', `you are already in the room as ${s.name}; use /nick to change name`, { re: 'hello', ref });
  if (msg.version !== PROTOCOL_VERSION) {
    return ctx.error(s, 'unsupported_version', `this server speaks protocol version ${PROTOCOL_VERSION}, not ${msg.version}; update parley`, { re: 'hello', ref });
  }
  if (s.checking) return ctx.error(s, 'busy', 'your login is still being checked; wait for the answer', { re: 'hello', ref });
  const accounts = ctx.accounts;
  // A password or token always means "log in"; without one, a name that needs no password joins as a guest.
  const login = accounts !== undefined && (msg.password !== undefined || msg.token !== undefined || ctx.lookup(s, 'hello', ref, () => accounts.needsPassword(msg.name)));
  if (login === FAILED) return;
  if (!accounts || !login) {
    if (!ctx.nameFree(s, msg.name, 'hello', ref)) return;
    return ctx.claimName(s, msg.name, false, 'hello', ref, (still) => enter(ctx, still, msg.name, ctx.clock()));
  }
  const problem = nameProblem(msg.name);
  if (problem !== null) return ctx.error(s, 'invalid_name', `"${truncateCodePoints(sanitizeText(msg.name), 40)}" is not a valid name: ${problem}`, { re: 'hello', ref });
  if (msg.token !== undefined) {
    const resumed = ctx.lookup(s, 'hello', ref, () => accounts.resume(msg.name, msg.token!));
    return resumed === FAILED ? undefined : loginChecked(ctx, s, resumed, ref);
  }
  if (msg.password === undefined) {
    const why = accounts.mode === 'required' ? 'this server admits registered users only' : `the name ${msg.name} is registered`;
    return ctx.error(s, 'password_required', `${why}: log in with its password`, { re: 'hello', ref, name: msg.name });
  }
  s.checking = true;
  const id = s.id;
  accounts.login(msg.name, msg.password, s.source).then(
    (result) => {
      const still = ctx.directory.session(id);
      if (still) loginChecked(ctx, still, result, ref);
      else if (result.ok) ctx.persist(undefined, 'hello', undefined, () => accounts.endSession(result.token)); // gone while we checked
    },
    (err: unknown) => asyncFailed(ctx, id, 'hello', ref, err),
  );
}

/** The completion of a login: a password check finished, or a token was looked up. */
function loginChecked(ctx: Context, s: Session, result: AuthResult, ref: string | undefined): void {
  s.checking = false;
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
    enter(ctx, s, result.name, ctx.clock());
  });
}

/** A named session comes online: welcome, history, stored whispers, and a joined notice to the room. */
function enter(ctx: Context, s: Session, name: string, now: number): void {
  s.name = name;
  const key = foldName(name);
  ctx.directory.bind(s);
  ctx.lobby.add(s);
  if (s.account) {
    ctx.persist(s, 'hello', undefined, () => {
      s.blocks.attach(key);
      ctx.accounts!.seen(name, now);
    });
  }
  const blocked = s.blocks.list();
  ctx.send(s, {
    type: 'welcome',
    version: PROTOCOL_VERSION,
    name,
    users: ctx.lobby.namesFor(s),
    motd: ctx.opts.motd,
    ...(s.account && { account: true, token: s.token! }),
    ...(blocked.length > 0 && { blocked }),
  });
  replay(ctx, s);
  if (s.account) deliverStored(ctx, s, key);
  ctx.lobby.publish({ type: 'joined', name, time: now }, s, key);
  ctx.log('join', { conn: s.id, name, addr: s.addr, account: s.account || undefined });
}

function replay(ctx: Context, s: Session): void {
  if (ctx.opts.historySize === 0 || !ctx.store) return;
  const rows = ctx.persist(s, 'hello', undefined, () => ctx.store!.recentHistory(ctx.opts.historySize));
  if (rows === FAILED) return;
  for (const m of rows) {
    if (s.blocks.has(foldName(m.from))) continue;
    ctx.backlog(s, { type: 'message', id: m.id, from: m.from, text: m.text, time: m.time, ...(m.action && { action: true }), history: true });
  }
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
  if (s.account) return ctx.error(s, 'name_registered', `you are already logged in to the account ${s.name}`, { re: 'register', ref });
  if (s.checking) return ctx.error(s, 'busy', 'a registration is already being checked; wait for the answer', { re: 'register', ref });
  s.checking = true;
  const id = s.id;
  const name = s.name!;
  accounts.register(name, msg.password, s.source).then(
    (result) => {
      const still = ctx.directory.session(id);
      if (still) registerChecked(ctx, still, result, ref);
    },
    (err: unknown) => asyncFailed(ctx, id, 'register', ref, err),
  );
}

function registerChecked(ctx: Context, s: Session, result: AuthResult, ref: string | undefined): void {
  s.checking = false;
  if (!result.ok) return ctx.error(s, result.code, result.message, { re: 'register', ref });
  s.account = true;
  s.token = result.token;
  ctx.persist(s, 'register', ref, () => s.blocks.attach(foldName(result.name)));
  ctx.send(s, { type: 'registered', name: result.name, token: result.token, ...(ref !== undefined && { ref }) });
  ctx.log('register', { conn: s.id, name: result.name });
}

/** A password check threw (not a wrong password: a bug or a broken database). The connection may try again. */
function asyncFailed(ctx: Context, id: ConnId, re: string, ref: string | undefined, err: unknown): void {
  ctx.log('store_error', { during: re, error: (err as Error).message });
  const s = ctx.directory.session(id);
  if (!s) return;
  s.checking = false;
  ctx.error(s, 'server_error', 'the server could not check that password; try again later', { re, ref });
}
