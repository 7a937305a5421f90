import { MAX_REASON_CHARS } from '../../wire/limits.js';
import type { ClientMessage } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { Session } from '../session.js';
import type { Confirmation } from '../accounts.js';
import { FAILED, type Context } from './context.js';
import { asyncFailed } from './login.js';
import { refused } from './sessions.js';

// A server administrator's rights over the chat protocol, as IRC's operators have them: won on a
// connection with an administrator account's password (OPER), and used to disconnect someone (KILL).
// Administrators are accounts marked with `parley-server user admin NAME`; logging in to such an account
// gives the rights too (login.ts).

/**
 * `s` takes a server administrator's rights with the password of the administrator account `msg.name`; it
 * keeps its own name. A wrong password counts towards that account's lock, as a login does.
 */
export function oper(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'oper' }>): void {
  const ref = msg.ref;
  const accounts = ctx.accounts;
  if (!accounts) return ctx.error(s, 'accounts_off', 'this server has no accounts (it runs with --auth off), so no administrators', { re: 'oper', ref });
  if (s.checking) return ctx.error(s, 'busy', 'another check is running for this connection; wait for its answer', { re: 'oper', ref });
  ctx.checkStarts(s);
  const id = s.id;
  accounts.confirm(msg.name, msg.password, s.source).then(
    (checked) => {
      const still = ctx.directory.session(id);
      if (!still) return;
      operChecked(ctx, still, msg, checked);
      ctx.checkDone(still);
    },
    (err: unknown) => asyncFailed(ctx, id, 'oper', ref, err),
  );
}

function operChecked(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'oper' }>, checked: Confirmation): void {
  const ref = msg.ref;
  if (!checked.ok) return refused(ctx, s, 'oper', ref, checked);
  const key = foldName(msg.name);
  const admin = ctx.lookup(s, 'oper', ref, () => (ctx.store?.isAdmin(key) === true ? ctx.accounts!.store.user(key)?.name ?? msg.name : null));
  if (admin === FAILED) return;
  if (admin === null) return ctx.error(s, 'not_operator', `${truncateCodePoints(sanitizeText(msg.name), 40)} is not a server administrator`, { re: 'oper', ref });
  s.admin = true;
  // The rights rest on that account as it is now: its next password, or its removal, ends them.
  s.adminOf = { key, name: admin, credential: checked.credential };
  ctx.log('oper', { conn: s.id, name: s.name, as: admin });
  ctx.send(s, { type: 'oper', name: admin, ...(ref !== undefined && { ref }) });
}

/** A server administrator disconnects `msg.name` (online on this server), who is told who did it and why. */
export function kill(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'kill' }>): void {
  const ref = msg.ref;
  if (!s.admin) return ctx.error(s, 'not_operator', 'only server administrators may disconnect someone', { re: 'kill', ref });
  const target = ctx.directory.find(msg.name);
  if (!target) return ctx.error(s, 'no_such_user', `no one called ${truncateCodePoints(sanitizeText(msg.name), 40)} is on this server`, { re: 'kill', ref, name: msg.name });
  const reason = msg.reason === undefined ? '' : truncateCodePoints(sanitizeText(msg.reason), MAX_REASON_CHARS);
  const why = `disconnected by ${s.name}${reason === '' ? '' : `: ${reason}`}`;
  ctx.log('moderation', { action: 'kill', by: s.name, name: target.name, reason: reason || undefined });
  ctx.error(target, 'killed', `${why}`, { re: 'kill' });
  ctx.remove(target, 'kicked', why);
}

/**
 * Why administrator rights resting on `of` must end, or null: the account's password was changed (the hash
 * differs from the one they were won with), the account was removed, or it is no longer an administrator.
 * Throws when the database cannot be read.
 */
function adminLapsed(ctx: Context, of: NonNullable<Session['adminOf']>): string | null {
  const user = ctx.accounts!.store.user(of.key);
  if (!user) return `the account ${of.name} was removed`;
  if (user.hash !== of.credential) return `the password of ${of.name} was changed (/oper again with the new one)`;
  if (ctx.store?.isAdmin(of.key) !== true) return `${of.name} is no longer a server administrator`;
  return null;
}

/**
 * Administrator rights that rest on the accounts `keys` (folded names; every account when absent), changed
 * by someone other than the session that holds them, end when adminLapsed says so: an oper'd session would
 * otherwise keep kicking and closing rooms on a password the owner has replaced. The session stays
 * connected (its own login is not in question) and is told with one line (admin_revoked). Throws when the
 * database cannot be read.
 */
export function endLapsedAdmins(ctx: Context, keys?: ReadonlySet<string>): void {
  for (const s of ctx.directory.all()) {
    const of = s.adminOf;
    if (!s.admin || !of || (keys && !keys.has(of.key))) continue;
    const why = adminLapsed(ctx, of);
    if (why === null) continue;
    s.admin = false;
    s.adminOf = undefined;
    ctx.log('admin_revoked', { conn: s.id, name: s.name, as: of.name });
    ctx.error(s, 'admin_revoked', `you are no longer a server administrator: ${why}`);
  }
}
