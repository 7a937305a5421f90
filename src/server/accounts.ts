import { randomBytes } from 'node:crypto';
import {
  MAX_PASSWORD_CHARS,
  MAX_REGISTRATIONS_PER_SOURCE_PER_DAY,
  MIN_PASSWORD_CHARS,
  PASSWORD_ATTEMPT_BURST,
  PASSWORD_ATTEMPTS_PER_MINUTE,
  SESSION_TOKEN_TTL_MS,
} from '../wire/limits.js';
import type { ErrorCode } from '../wire/messages.js';
import { foldName } from '../wire/names.js';
import { Lockout } from './lockout.js';
import { HasherBusy, type PasswordHasher } from './passwords.js';
import { BucketTable } from './sources.js';
import { diskFull } from './quota.js';
import type { Store } from './store.js';

// The account rules the hub asks about: who must give a password, whether a password or token is right,
// lockout, registration, session tokens. Checking a password is asynchronous (scrypt on the thread pool),
// so login() and register() return promises; the hub keeps the connection waiting and continues when one
// settles. Everything else is synchronous against the store.

export type AuthMode = 'off' | 'optional' | 'required';
export const AUTH_MODES: readonly AuthMode[] = ['off', 'optional', 'required'];

export type AuthResult =
  /** `mustChange`: the account's password breaks today's rule (imported); the user is asked for a new one. */
  | { ok: true; name: string; token: string; mustChange?: boolean }
  | { ok: false; code: ErrorCode; message: string; seconds?: number };

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
  /** Failed password attempts one source may make at once, then per minute (PASSWORD_ATTEMPT_*). */
  attemptBurst?: number;
  attemptsPerMinute?: number;
  /** Accounts one source may register per rolling day. */
  registrationsPerDay?: number;
}

/**
 * Where a login comes from when the caller does not say (the operator's own tools, a cluster peer): its
 * failures still lock, but no per-source budget applies.
 */
export const LOCAL_SOURCE = 'local';

const WRONG = 'wrong name or password';

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
    this.failures = new BucketTable(options.attemptBurst ?? PASSWORD_ATTEMPT_BURST, (options.attemptsPerMinute ?? PASSWORD_ATTEMPTS_PER_MINUTE) / 60);
    const perDay = options.registrationsPerDay ?? MAX_REGISTRATIONS_PER_SOURCE_PER_DAY;
    this.registrations = new BucketTable(perDay, perDay / 86_400);
  }

  isRegistered(name: string): boolean {
    return this.mode !== 'off' && this.store.user(foldName(name)) !== undefined;
  }

  /** Whether joining as `name` needs a password (required mode: always; optional: for registered names). */
  needsPassword(name: string): boolean {
    if (this.mode === 'off') return false;
    return this.mode === 'required' || this.isRegistered(name);
  }

  /**
   * Check a password from `source` (see sourceOf). "No such user" and "wrong password" give the same reply
   * after the same work (a dummy hash is checked); failures count towards the lock either way, so a lock
   * says nothing either. Failures lock the pair (name, source), never the name for everyone: the owner
   * elsewhere, or with a session token, still gets in while someone guesses (issue 10). Each source also
   * has a budget of failures across all names, so spreading guesses over names gains nothing.
   */
  async login(name: string, password: string, source?: string): Promise<AuthResult> {
    const key = foldName(name);
    const pair = `${key} ${source ?? LOCAL_SOURCE}`;
    const locked = this.lockedReply(pair);
    if (locked) return locked;
    const slow = source === undefined ? null : this.slowDown(source);
    if (slow) return slow;
    if (this.checking.has(pair)) return { ok: false, code: 'busy', message: `another login as ${name} is being checked; try again in a moment` };
    const user = this.store.user(key);
    let ok: boolean;
    this.checking.add(pair);
    try {
      ok = await this.hasher.verify(password, user?.hash ?? null, source);
    } catch (err) {
      if (err instanceof HasherBusy) return { ok: false, code: 'busy', message: 'the server is busy checking other logins; try again in a few seconds' };
      throw err;
    } finally {
      this.checking.delete(pair);
    }
    const now = this.clock();
    // The account may have been removed while the hash ran.
    if (ok && this.store.user(key)) {
      this.lockout.succeed(pair);
      return { ok: true, name: user!.name, token: this.issueToken(key, now), ...(user!.mustChange && { mustChange: true }) };
    }
    if (source !== undefined) this.failures.take(source, now);
    const seconds = this.lockout.fail(pair, now);
    if (seconds > 0) return { ok: false, code: 'locked', message: `${WRONG}; too many failed logins from your address, ${name} is locked there for ${seconds} s`, seconds };
    return { ok: false, code: 'login_failed', message: `${WRONG}; try again` };
  }

  /** Resume with a session token from an earlier login. Works while the name is locked: it proves a past login. */
  resume(name: string, token: string): AuthResult {
    const key = foldName(name);
    const user = this.store.user(key);
    if (user && this.store.sessionUser(token, this.clock()) === key) return { ok: true, name: user.name, token, ...(user.mustChange && { mustChange: true }) };
    return { ok: false, code: 'bad_token', message: 'that session has expired or was ended; log in with the password' };
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
    return { ok: true, name, token: this.issueToken(key, now) };
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
    return { ok: true, name: user.name, token: this.issueToken(key, this.clock()) };
  }

  seen(name: string, time: number): void {
    this.store.setLastSeen(foldName(name), time);
  }

  /** Drop expired tokens (the hub's tick calls this now and then). */
  expire(): void {
    this.store.expireSessions(this.clock());
  }

  private lockedReply(pair: string): AuthResult | null {
    const seconds = this.lockout.secondsLeft(pair, this.clock());
    if (seconds === 0) return null;
    return { ok: false, code: 'locked', message: `too many failed logins from your address; try again in ${seconds} s, or log in from your usual device`, seconds };
  }

  /** The source has used up its failed attempts: refused before any hashing. */
  private slowDown(source: string): AuthResult | null {
    const wait = this.failures.waitMs(source, this.clock());
    if (wait === 0) return null;
    const seconds = Math.ceil(wait / 1000);
    return { ok: false, code: 'slow_down', message: `too many failed logins from your address; wait ${seconds} s before the next try`, seconds };
  }

  private issueToken(key: string, now: number): string {
    const token = randomBytes(32).toString('base64url');
    this.store.addSession(token, key, now + this.tokenTtlMs);
    return token;
  }
}

/** Why a password cannot be used, or null. */
export function passwordProblem(password: string): string | null {
  const n = [...password].length;
  if (n < MIN_PASSWORD_CHARS) return `a password needs at least ${MIN_PASSWORD_CHARS} characters`;
  if (n > MAX_PASSWORD_CHARS) return `a password has at most ${MAX_PASSWORD_CHARS} characters`;
  return null;
}
