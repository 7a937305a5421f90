import type { ClientMessage } from '../../wire/messages.js';
import type { AuthFailure } from '../accounts.js';
import { foldName } from '../../wire/names.js';
import type { Session } from '../session.js';
import { FAILED, type Context } from './context.js';
import { asyncFailed } from './login.js';
import { endLapsedAdmins } from './admins.js';

// An account's sessions (issue 10): the owner lists them, ends one or all the others, and changes the
// password, which ends them all. A session here is a login's token: the account's one connection holds
// the current one, the others are logins elsewhere that could resume (PROTOCOL.md §9, "Sessions and tokens").

/** The account of `s`, or null after telling it why it has none. */
function accountOf(ctx: Context, s: Session, re: string, ref: string | undefined): string | null {
  if (!ctx.accounts) {
    ctx.error(s, 'accounts_off', 'this server has no accounts (it runs with --auth off)', { re, ref });
    return null;
  }
  if (!s.account) {
    ctx.error(s, 'no_account', `you are a guest: ${s.name} is not logged in to an account (/register claims it)`, { re, ref });
    return null;
  }
  return s.name!;
}

export function listSessions(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'sessions' }>): void {
  const name = accountOf(ctx, s, 'sessions', msg.ref);
  if (name === null) return;
  const sessions = ctx.lookup(s, 'sessions', msg.ref, () => ctx.accounts!.sessions(name, s.token));
  if (sessions === FAILED) return;
  ctx.send(s, { type: 'sessions', sessions, ...(msg.ref !== undefined && { ref: msg.ref }) });
}

/**
 * End another session, or all the others. Only a login proven by the password may: a token copied off
 * the wire must not be able to throw its owner out. A connection that resumed with a token gives the
 * password in the request (checked like a login); after that it counts as proven.
 */
export function logout(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'logout' }>): void {
  const ref = msg.ref;
  const name = accountOf(ctx, s, 'logout', ref);
  if (name === null) return;
  if (s.proven) return endSessions(ctx, s, name, msg);
  if (msg.password === undefined) {
    return ctx.error(s, 'password_required', `this connection resumed with a token: give ${name}'s password to end other sessions`, { re: 'logout', ref, name });
  }
  if (s.checking) return ctx.error(s, 'busy', 'another check is running for this connection; wait for its answer', { re: 'logout', ref });
  ctx.checkStarts(s);
  const id = s.id;
  ctx.accounts!.confirm(name, msg.password, s.source).then(
    (checked) => {
      const still = ctx.directory.session(id);
      if (!still) return;
      if (!checked.ok) refused(ctx, still, 'logout', ref, checked);
      else {
        still.proven = true;
        endSessions(ctx, still, name, msg);
      }
      ctx.checkDone(still);
    },
    (err: unknown) => asyncFailed(ctx, id, 'logout', ref, err),
  );
}

function endSessions(ctx: Context, s: Session, name: string, msg: Extract<ClientMessage, { type: 'logout' }>): void {
  const ref = msg.ref;
  const accounts = ctx.accounts!;
  const ended = ctx.persist(s, 'logout', ref, () => (msg.all === true ? accounts.endOtherSessions(name, s.token) : accounts.endSessionById(name, msg.session!) ? 1 : 0));
  if (ended === FAILED) return;
  if (msg.all !== true && ended === 0) {
    return ctx.error(s, 'no_such_session', `${name} has no session ${msg.session!.slice(0, 40)} (any more); /sessions lists them`, { re: 'logout', ref });
  }
  ctx.log('logout', { conn: s.id, name, ended, all: msg.all === true || undefined });
  const sessions = ctx.lookup(s, 'logout', ref, () => accounts.sessions(name, s.token));
  if (sessions === FAILED) return;
  ctx.send(s, { type: 'sessions', sessions, ended, ...(ref !== undefined && { ref }) });
}

/** /password: the old password, then the new one; every session of the account ends, this connection stays. */
export function changePassword(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'password' }>): void {
  const ref = msg.ref;
  const name = accountOf(ctx, s, 'password', ref);
  if (name === null) return;
  if (s.checking) return ctx.error(s, 'busy', 'another check is running for this connection; wait for its answer', { re: 'password', ref });
  ctx.checkStarts(s);
  const id = s.id;
  ctx.accounts!.changeOwnPassword(name, msg.old, msg.password, s.source).then(
    (result) => {
      const still = ctx.directory.session(id);
      if (!still) {
        if (!result.ok) return;
        ctx.persist(undefined, 'password', undefined, () => ctx.accounts!.endSession(result.token));
        return passwordReplaced(ctx, undefined, foldName(result.name), result.credential);
      }
      if (!result.ok) refused(ctx, still, 'password', ref, result);
      else {
        still.token = result.token;
        still.credential = result.credential;
        still.proven = true;
        still.mustChange = false;
        ctx.send(still, { type: 'password_changed', name: result.name, token: result.token, ended: result.ended, ...(ref !== undefined && { ref }) });
        ctx.log('password_changed', { conn: id, name: result.name, ended: result.ended });
        passwordReplaced(ctx, still, foldName(result.name), result.credential);
      }
      ctx.checkDone(still);
    },
    (err: unknown) => asyncFailed(ctx, id, 'password', ref, err),
  );
}

/** A password given again was wrong (or the account is locked): logged, and `s` told. */
export function refused(ctx: Context, s: Session, re: string, ref: string | undefined, failure: AuthFailure): void {
  ctx.log('password_refused', { conn: s.id, addr: s.addr, re, code: failure.code });
  ctx.error(s, failure.code, failure.message, { re, ref, ...(failure.seconds !== undefined && { seconds: failure.seconds }) });
}

/**
 * The accounts (folded names; every account when absent) were changed by someone other than their live
 * connections: the operator's `parley-server user passwd|remove|admin` on the database file, or another
 * cluster node. A live login whose password was changed, or whose account was removed, is closed with one
 * line saying why (session_revoked): ending the tokens alone would leave a thief connected. Administrator
 * rights resting on such an account, or on one no longer an administrator, end (endLapsedAdmins). Returns
 * false when the database could not be read (locked by another process): the caller asks again later.
 */
export function endRevoked(ctx: Context, keys?: ReadonlySet<string>): boolean {
  const accounts = ctx.accounts;
  if (!accounts) return true;
  for (const s of [...ctx.directory.all()]) {
    if (!s.account || s.name === undefined || (keys && !keys.has(foldName(s.name)))) continue;
    let why: string | null;
    try {
      why = accounts.revoked(s.name, s.credential);
    } catch (err) {
      ctx.log('store_error', { during: 'revoked', conn: s.id, error: (err as Error).message });
      return false;
    }
    if (why === null) continue;
    ctx.log('session_revoked', { conn: s.id, name: s.name });
    ctx.error(s, 'session_revoked', why);
    ctx.remove(s, 'kicked', 'session ended by the server');
  }
  try {
    endLapsedAdmins(ctx, keys);
  } catch (err) {
    ctx.log('store_error', { during: 'admin_revoked', error: (err as Error).message });
    return false;
  }
  return true;
}

/**
 * The password of account `key` was replaced on this server, by `s` (/password, or an imported account's
 * registration) or by a connection gone since (`s` undefined): `s` keeps what rests on it, with the new
 * hash; the others' administrator rights won with the old password end (endLapsedAdmins).
 */
export function passwordReplaced(ctx: Context, s: Session | undefined, key: string, credential: string): void {
  if (s?.adminOf?.key === key) s.adminOf.credential = credential;
  endRevoked(ctx, new Set([key]));
}
