import { MAX_REASON_CHARS } from '../../wire/limits.js';
import type { ClientMessage } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { Session } from '../session.js';
import type { AuthFailure } from '../accounts.js';
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
    (failure) => {
      const still = ctx.directory.session(id);
      if (!still) return;
      operChecked(ctx, still, msg, failure);
      ctx.checkDone(still);
    },
    (err: unknown) => asyncFailed(ctx, id, 'oper', ref, err),
  );
}

function operChecked(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'oper' }>, failure: AuthFailure | null): void {
  const ref = msg.ref;
  if (failure) return refused(ctx, s, 'oper', ref, failure);
  const admin = ctx.lookup(s, 'oper', ref, () => (ctx.store?.isAdmin(foldName(msg.name)) === true ? ctx.accounts!.store.user(foldName(msg.name))?.name ?? msg.name : null));
  if (admin === FAILED) return;
  if (admin === null) return ctx.error(s, 'not_operator', `${truncateCodePoints(sanitizeText(msg.name), 40)} is not a server administrator`, { re: 'oper', ref });
  s.admin = true;
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
