import { randomBytes } from 'node:crypto';
import {
  MAX_PASSWORD_CHARS,
  MAX_REGISTRATIONS_PER_SOURCE_PER_DAY,
  MIN_PASSWORD_CHARS,
  PASSWORD_ATTEMPT_BURST,
  PASSWORD_ATTEMPTS_PER_MINUTE,
  SESSION_TOKEN_TTL_MS,
} from '../wire/limits.js';
import type { ErrorCode, SessionInfo } from '../wire/messages.js';
import { foldName } from '../wire/names.js';
import { Lockout } from './lockout.js';
import { HasherBusy, type PasswordHasher } from './passwords.js';
import { BucketTable } from './sources.js';
import { diskFull } from './quota.js';
import { hashToken, SESSION_ID_BYTES, type Store, type UserRow } from './store.js';

// The account rules the hub asks about: who must give a password, whether a password or token is right,
// lockout, registration, session tokens. Checking a password is asynchronous (scrypt on the thread pool),
// so login() and register() return promises; the hub keeps the connection waiting and continues when one
// settles. Everything else is synchronous against the store.

export type AuthMode = 'off' | 'optional' | 'required';
export const AUTH_MODES: readonly AuthMode[] = ['off', 'optional', 'required'];

/** Why a login or a password check failed, as the error the user is sent. */
export type AuthFailure = { ok: false; code: ErrorCode; message: string; seconds?: number };

/** A password given again (Accounts.confirm): right, with the hash it was checked against, or refused. */
export type Confirmation = { ok: true; credential: string } | AuthFailure;

export type AuthResult =
  /**
   * `mustChange`: the account's password breaks today's rule (imported); the user is asked for a new one.
   * `credential`: the password hash this login rests on (see Accounts.revoked).
   */
  | { ok: true; name: string; token: string; credential: string; mustChange?: boolean }
  | AuthFailure;

/** The result of a password change: `ended` counts the sessions it ended (the caller's old one included). */
export type PasswordChange = ({ ok: true; name: string; token: string; credential: string; ended: number }) | AuthFailure;

export interface AccountsOptions {
  mode: AuthMode;
  /** Seconds a name stays locked after too many failures. */
  blockDurationS: number;
  clock?: () => number;
  tokenTtlMs?: number;
  /**
   * In a cluster, the arbiter of new accounts: resolves true for exactly one of several nodes registering
   * the same name at once (and journals the account with it), false for the others. Rejects when it
   * cannot be asked; the registration then fails with server_error.
   */
  claim?: (user: { key: string; name: string; hash: string; created: number }) => Promise<boolean>;
  /**
   * In a cluster, the arbiter of token rotation: resolves true for exactly one of several nodes resuming
   * with the same token at once, having rotated it in this store (and journaled it); false for the others.
   * Rejects when it cannot be asked; the resume then fails with server_error.
   */
  rotate?: (r: Rotation) => Promise<boolean>;
  /**
   * In a cluster, resolves once this server's replica holds every shared change Redis had when it was
   * called (or after CLUSTER_CATCH_UP_MS; it never rejects): awaited before a password or token is checked,
   * so an account registered, a password changed or a token issued on another server and acknowledged
   * there a moment before is seen here, not answered `login_failed` or `bad_token`.
   */
  caughtUp?: () => Promise<void>;
  /** Failed password attempts one source may make at once, then per minute (PASSWORD_ATTEMPT_*). */
  attemptBurst?: number;
  attemptsPerMinute?: number;
  /** Accounts one source may register per rolling day. */
  registrationsPerDay?: number;
}

/** A session token replaced on resume (issue 10): `oldToken` stops working, `newToken` goes on with its session. */
export interface Rotation {
  oldToken: string;
  newToken: string;
  key: string;
  now: number;
  expires: number;
  from: string;
}

/**
 * Where a login comes from when the caller does not say (the operator's own tools, a cluster peer): its
 * failures still lock, but no per-source budget applies.
 */
export const LOCAL_SOURCE = 'local';

const WRONG = 'wrong name or password';
const BAD_TOKEN: AuthResult = { ok: false, code: 'bad_token', message: 'that session has expired or was ended; log in with the password' };

export class Accounts {
  readonly mode: AuthMode;
  private readonly lockout: Lockout;
  private readonly clock: () => number;
  private readonly tokenTtlMs: number;
  /**
   * (name, source) pairs with a password check running: one at a time per pair, or parallel guesses would
   * outrun the lock. Per pair, not per name: an attacker's guess in flight must not turn the owner away.
   */
  private readonly checking = new Set<string>();
  private readonly claim: AccountsOptions['claim'];
  private readonly rotate: AccountsOptions['rotate'];
  private readonly caughtUp: AccountsOptions['caughtUp'];
  /** Failed password attempts per source: the slow-down an attacker meets whichever names it tries. */
  private readonly failures: BucketTable;
  /** Registrations per source per rolling day. */
  private readonly registrations: BucketTable;

  constructor(
    readonly store: Store,
    private readonly hasher: PasswordHasher,
    options: AccountsOptions,
  ) {
    this.mode = options.mode;
    this.clock = options.clock ?? Date.now;
    this.tokenTtlMs = options.tokenTtlMs ?? SESSION_TOKEN_TTL_MS;
    this.lockout = new Lockout(options.blockDurationS * 1000);
    this.claim = options.claim;
    this.rotate = options.rotate;
    this.caughtUp = options.caughtUp;
    this.failures = new BucketTable(options.attemptBurst ?? PASSWORD_ATTEMPT_BURST, (options.attemptsPerMinute ?? PASSWORD_ATTEMPTS_PER_MINUTE) / 60);
    const perDay = options.registrationsPerDay ?? MAX_REGISTRATIONS_PER_SOURCE_PER_DAY;
    this.registrations = new BucketTable(perDay, perDay / 86_400);
  }

  isRegistered(name: string): boolean {
    return this.mode !== 'off' && this.store.user(foldName(name)) !== undefined;
  }

  /**
   * What a hello without password or token asks, in one store read (Store.accountsLike): whether joining as
   * `name` needs a password (required mode: always; optional: for registered names), and a registered name
   * that looks like it (as Store.lookAlike).
   */
  guestCheck(name: string): { needsPassword: boolean; lookAlike: string | undefined } {
    if (this.mode === 'required') return { needsPassword: true, lookAlike: undefined };
    const like = this.store.accountsLike(name);
    return { needsPassword: this.mode !== 'off' && like.registered, lookAlike: like.lookAlike };
  }

  /**
   * Check a password from `source` (see sourceOf). "No such user" and "wrong password" give the same reply
   * after the same work (a dummy hash is checked); failures count towards the lock either way, so a lock
   * says nothing either. Failures lock the pair (name, source), never the name for everyone: the owner
   * elsewhere, or with a session token, still gets in while someone guesses (issue 10). Each source also
   * has a budget of failures across all names, so spreading guesses over names gains nothing.
   */
  async login(name: string, password: string, source?: string): Promise<AuthResult> {
    const checked = await this.check(name, password, source);
    if (!checked.ok) return checked;
    const user = checked.user;
    return { ok: true, name: user.name, token: this.issueToken(user.key, this.clock(), source), credential: user.hash, ...(user.mustChange && { mustChange: true }) };
  }

  /**
   * The password check behind login(), /password and ending other sessions: the lock, the per-source
   * budget and one check at a time per (name, source), the same for every caller.
   */
  private async check(name: string, password: string, source?: string): Promise<{ ok: true; user: UserRow } | AuthFailure> {
    const key = foldName(name);
    const pair = `${key} ${source ?? LOCAL_SOURCE}`;
    const locked = this.lockedReply(pair);
    if (locked) return locked;
    const slow = source === undefined ? null : this.slowDown(source);
    if (slow) return slow;
    if (this.checking.has(pair)) return { ok: false, code: 'busy', message: `another login as ${name} is being checked; try again in a moment` };
    let user: UserRow | undefined;
    let ok: boolean;
    this.checking.add(pair);
    try {
      if (this.caughtUp) await this.caughtUp();
      user = this.store.user(key);
      ok = await this.hasher.verify(password, user?.hash ?? null, source);
    } catch (err) {
      if (err instanceof HasherBusy) return { ok: false, code: 'busy', message: 'the server is busy checking other logins; try again in a few seconds' };
      throw err;
    } finally {
      this.checking.delete(pair);
    }
    const now = this.clock();
    // The account may have been removed, or its password changed (`user passwd`), while the hash ran: the
    // old password must not open a session on the new one.
    const still = ok ? this.store.user(key) : undefined;
    if (still && still.hash === user?.hash) {
      this.lockout.succeed(pair);
      return { ok: true, user: still };
    }
    if (source !== undefined) this.failures.take(source, now);
    const seconds = this.lockout.fail(pair, now);
    if (seconds > 0) return { ok: false, code: 'locked', message: `${WRONG}; too many failed logins from your address, ${name} is locked there for ${seconds} s`, seconds };
    return { ok: false, code: 'login_failed', message: `${WRONG}; try again` };
  }

  /**
   * Resume with a session token from an earlier login, from `source`. Works while the name is locked: it
   * proves a past login. The token is rotated (issue 10): the result carries a new token for the same
   * session and the one given stops working, so a token copied off the wire is good for one resume at
   * most, and once either holder resumes, the other's copy is refused (its owner then logs in with the
   * password, sees the other session in /sessions and ends it). In a cluster (`rotate`) the answer is a
   * promise: two nodes resuming one token at the same moment must not both succeed, so the cluster decides;
   * and it waits first for the replica to catch up (`caughtUp`), so a token issued elsewhere a moment ago works.
   */
  resume(name: string, token: string, source?: string): AuthResult | Promise<AuthResult> {
    if (this.caughtUp) return this.caughtUp().then(() => this.resumeNow(name, token, source));
    return this.resumeNow(name, token, source);
  }

  private resumeNow(name: string, token: string, source: string | undefined): AuthResult | Promise<AuthResult> {
    const key = foldName(name);
    const user = this.store.user(key);
    const now = this.clock();
    const r: Rotation = { oldToken: token, newToken: newToken(), key, now, expires: now + this.tokenTtlMs, from: source ?? LOCAL_SOURCE };
    const resumed: AuthResult | undefined = user && { ok: true, name: user.name, token: r.newToken, credential: user.hash, ...(user.mustChange && { mustChange: true }) };
    if (!resumed) return BAD_TOKEN;
    if (!this.rotate) return this.store.rotateSession(r.oldToken, r.newToken, key, now, r.expires, r.from) ? resumed : BAD_TOKEN;
    if (this.store.sessionUser(token, now) !== key) return BAD_TOKEN;
    return this.rotate(r).then((won) => (won ? resumed : BAD_TOKEN));
  }

  /** The live sessions of `name`'s account, most recently used first; `current` marks the one of `token`. */
  sessions(name: string, token: string | undefined): SessionInfo[] {
    const mine = token === undefined ? undefined : hashToken(token);
    return this.store.sessionsOf(foldName(name), this.clock()).map((r) => ({
      id: r.id,
      ...(r.created !== null && { created: r.created }),
      ...(r.lastUsed !== null && { lastUsed: r.lastUsed }),
      ...(r.from !== null && { from: r.from }),
      ...(r.tokenHash === mine && { current: true }),
    }));
  }

  /** Ends every session of `name`'s account except the one of `keep`; returns how many ended. */
  endOtherSessions(name: string, keep: string | undefined): number {
    return this.store.dropSessionsOf(foldName(name), keep === undefined ? '' : hashToken(keep));
  }

  /** Ends the session `id` of `name`'s account; false if there is none by that id. */
  endSessionById(name: string, id: string): boolean {
    return this.store.dropSessionById(foldName(name), id);
  }

  /**
   * Whether `password` is `name`'s, for a request that needs it proven again (ending other sessions from
   * a connection that resumed with a token, winning an administrator's rights): if so, `credential` is the
   * password hash it was checked against. Counts towards the lock like a login.
   */
  async confirm(name: string, password: string, source?: string): Promise<Confirmation> {
    const checked = await this.check(name, password, source);
    return checked.ok ? { ok: true, credential: checked.user.hash } : checked;
  }

  /**
   * The owner changes their password (/password): `old` must be right (checked like a login), `password`
   * must meet the rule. Every session of the account ends; the result carries a fresh token for the
   * connection that asked, and `ended`: how many sessions ended (the caller's old one included).
   */
  async changeOwnPassword(name: string, old: string, password: string, source?: string): Promise<PasswordChange> {
    const problem = passwordProblem(password);
    if (problem) return { ok: false, code: 'weak_password', message: problem };
    const checked = await this.check(name, old, source);
    if (!checked.ok) return checked.code === 'login_failed' ? { ...checked, message: 'the current password is wrong; nothing was changed' } : checked;
    return this.replacePassword(checked.user.key, password, source);
  }

  /** Hash and store a new password, end every session of the account, and issue one for the caller. */
  private async replacePassword(key: string, password: string, source: string | undefined): Promise<PasswordChange> {
    let hash: string;
    try {
      hash = await this.hasher.hash(password, source);
    } catch (err) {
      if (err instanceof HasherBusy) return { ok: false, code: 'busy', message: 'the server is busy; try again in a few seconds' };
      throw err;
    }
    const user = this.store.user(key);
    if (!user) return { ok: false, code: 'server_error', message: 'the account was removed meanwhile' };
    this.store.setHash(key, hash);
    const ended = this.store.dropSessionsOf(key);
    return { ok: true, name: user.name, token: this.issueToken(key, this.clock(), source), credential: hash, ended };
  }

  /** Forget a token (the user quit on purpose). */
  endSession(token: string): void {
    this.store.dropSession(token);
  }

  /** Claim `name` with `password`. Resolves with a token for the new account or why not. */
  async register(name: string, password: string, source?: string): Promise<AuthResult> {
    const problem = passwordProblem(password);
    if (problem) return { ok: false, code: 'weak_password', message: problem };
    const key = foldName(name);
    if (this.store.user(key)) return { ok: false, code: 'name_registered', message: `${name} is already registered` };
    if (this.store.lowOnDisk()) return { ok: false, ...diskFull('no new accounts until the operator frees some; you can go on as a guest') };
    const like = this.store.lookAlike(name);
    if (like !== undefined) return { ok: false, code: 'name_confusable', message: `${name} looks too much like the registered name ${like}; reconnect under another name to register` };
    const wait = source === undefined ? 0 : this.registrations.waitMs(source, this.clock());
    if (wait > 0) {
      const hours = Math.ceil(wait / 3_600_000);
      return { ok: false, code: 'slow_down', message: `too many accounts registered from your address today; try again in about ${hours} h`, seconds: Math.ceil(wait / 1000) };
    }
    let hash: string;
    try {
      hash = await this.hasher.hash(password, source);
    } catch (err) {
      if (err instanceof HasherBusy) return { ok: false, code: 'busy', message: 'the server is busy; try /register again in a few seconds' };
      throw err;
    }
    const now = this.clock();
    if (this.claim && !(await this.claim({ key, name, hash, created: now }))) return { ok: false, code: 'name_registered', message: `${name} is already registered` };
    if (!this.store.addUser(key, name, hash, now) && !this.claim) return { ok: false, code: 'name_registered', message: `${name} is already registered` };
    if (source !== undefined) this.registrations.take(source, now);
    this.store.setLastSeen(key, now);
    return { ok: true, name, token: this.issueToken(key, now, source), credential: hash };
  }

  /**
   * A new password for an account that must change its own (imported with a weak one). Resolves with a
   * fresh token, or why not: `weak_password`, `busy`, or `name_registered` when the account need not change.
   */
  async changePassword(name: string, password: string, source?: string): Promise<AuthResult> {
    const key = foldName(name);
    if (!this.store.user(key)?.mustChange) return { ok: false, code: 'name_registered', message: `you are already logged in to the account ${name}` };
    const problem = passwordProblem(password);
    if (problem) return { ok: false, code: 'weak_password', message: problem };
    return this.replacePassword(key, password, source);
  }

  /**
   * Why a live login of `name` that rests on the password hash `credential` must end, or null: the account
   * was removed, or its password changed, by someone other than this connection (the operator's
   * `parley-server user passwd|remove`, another process on the database file or another cluster node).
   * A changed password ends every token; this ends the connection still open with one of them, so a
   * thief's live session goes with its token (issue 10).
   */
  revoked(name: string, credential: string | undefined): string | null {
    const user = this.store.user(foldName(name));
    if (!user) return `the account ${name} was removed by the server's operator; this session is closed`;
    if (credential !== undefined && user.hash !== credential) return `the password of ${name} was changed; this session is closed: log in again with the new password`;
    return null;
  }

  seen(name: string, time: number): void {
    this.store.setLastSeen(foldName(name), time);
  }

  /** Drop expired tokens (the hub's tick calls this now and then). */
  expire(): void {
    this.store.expireSessions(this.clock());
  }

  private lockedReply(pair: string): AuthFailure | null {
    const seconds = this.lockout.secondsLeft(pair, this.clock());
    if (seconds === 0) return null;
    return { ok: false, code: 'locked', message: `too many failed logins from your address; try again in ${seconds} s, or log in from your usual device`, seconds };
  }

  /** The source has used up its failed attempts: refused before any hashing. */
  private slowDown(source: string): AuthFailure | null {
    const wait = this.failures.waitMs(source, this.clock());
    if (wait === 0) return null;
    const seconds = Math.ceil(wait / 1000);
    return { ok: false, code: 'slow_down', message: `too many failed logins from your address; wait ${seconds} s before the next try`, seconds };
  }

  private issueToken(key: string, now: number, source: string | undefined): string {
    const token = newToken();
    this.store.addSession(token, key, now + this.tokenTtlMs, { id: randomBytes(SESSION_ID_BYTES).toString('hex'), created: now, from: source ?? LOCAL_SOURCE });
    return token;
  }
}

/** A session token: 256 random bits, base64url (43 characters). */
function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Why a password cannot be used, or null. */
export function passwordProblem(password: string): string | null {
  const n = [...password].length;
  if (n < MIN_PASSWORD_CHARS) return `a password needs at least ${MIN_PASSWORD_CHARS} characters`;
  if (n > MAX_PASSWORD_CHARS) return `a password has at most ${MAX_PASSWORD_CHARS} characters`;
  return null;
}
