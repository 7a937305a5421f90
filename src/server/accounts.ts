import { randomBytes } from 'node:crypto';
import { MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, SESSION_TOKEN_TTL_MS } from '../wire/limits.js';
import type { ErrorCode } from '../wire/messages.js';
import { foldName } from '../wire/names.js';
import { Lockout } from './lockout.js';
import { HasherBusy, type PasswordHasher } from './passwords.js';
import type { Store } from './store.js';

// The account rules the hub asks about: who must give a password, whether a password or token is right,
// lockout, registration, session tokens. Checking a password is asynchronous (scrypt on the thread pool),
// so login() and register() return promises; the hub keeps the connection waiting and continues when one
// settles. Everything else is synchronous against the store.

export type AuthMode = 'off' | 'optional' | 'required';
export const AUTH_MODES: readonly AuthMode[] = ['off', 'optional', 'required'];

export type AuthResult =
  | { ok: true; name: string; token: string }
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
}

const WRONG = 'wrong name or password';

export class Accounts {
  readonly mode: AuthMode;
  private readonly lockout: Lockout;
  private readonly clock: () => number;
  private readonly tokenTtlMs: number;
  /** Names with a password check running: one at a time per name, or parallel guesses would outrun the lock. */
  private readonly checking = new Set<string>();
  private readonly claim: AccountsOptions['claim'];

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
   * Check a password. "No such user" and "wrong password" give the same reply after the same work (a
   * dummy hash is checked); failures count towards the lock either way, so a lock says nothing either.
   */
  async login(name: string, password: string): Promise<AuthResult> {
    const key = foldName(name);
    const locked = this.lockedReply(key);
    if (locked) return locked;
    if (this.checking.has(key)) return { ok: false, code: 'busy', message: `another login as ${name} is being checked; try again in a moment` };
    const user = this.store.user(key);
    let ok: boolean;
    this.checking.add(key);
    try {
      ok = await this.hasher.verify(password, user?.hash ?? null);
    } catch (err) {
      if (err instanceof HasherBusy) return { ok: false, code: 'busy', message: 'the server is busy checking other logins; try again in a few seconds' };
      throw err;
    } finally {
      this.checking.delete(key);
    }
    const now = this.clock();
    // The account may have been removed while the hash ran.
    if (ok && this.store.user(key)) {
      this.lockout.succeed(key);
      return { ok: true, name: user!.name, token: this.issueToken(key, now) };
    }
    const seconds = this.lockout.fail(key, now);
    if (seconds > 0) return { ok: false, code: 'locked', message: `${WRONG}; too many failed logins, ${name} is locked for ${seconds} s`, seconds };
    return { ok: false, code: 'login_failed', message: `${WRONG}; try again` };
  }

  /** Resume with a session token from an earlier login. Works while the name is locked: it proves a past login. */
  resume(name: string, token: string): AuthResult {
    const key = foldName(name);
    const user = this.store.user(key);
    if (user && this.store.sessionUser(token, this.clock()) === key) return { ok: true, name: user.name, token };
    return { ok: false, code: 'bad_token', message: 'that session has expired or was ended; log in with the password' };
  }

  /** Forget a token (the user quit on purpose). */
  endSession(token: string): void {
    this.store.dropSession(token);
  }

  /** Claim `name` with `password`. Resolves with a token for the new account or why not. */
  async register(name: string, password: string): Promise<AuthResult> {
    const problem = passwordProblem(password);
    if (problem) return { ok: false, code: 'weak_password', message: problem };
    const key = foldName(name);
    if (this.store.user(key)) return { ok: false, code: 'name_registered', message: `${name} is already registered` };
    let hash: string;
    try {
      hash = await this.hasher.hash(password);
    } catch (err) {
      if (err instanceof HasherBusy) return { ok: false, code: 'busy', message: 'the server is busy; try /register again in a few seconds' };
      throw err;
    }
    const now = this.clock();
    if (this.claim && !(await this.claim({ key, name, hash, created: now }))) return { ok: false, code: 'name_registered', message: `${name} is already registered` };
    if (!this.store.addUser(key, name, hash, now) && !this.claim) return { ok: false, code: 'name_registered', message: `${name} is already registered` };
    this.store.setLastSeen(key, now);
    return { ok: true, name, token: this.issueToken(key, now) };
  }

  seen(name: string, time: number): void {
    this.store.setLastSeen(foldName(name), time);
  }

  /** Drop expired tokens (the hub's tick calls this now and then). */
  expire(): void {
    this.store.expireSessions(this.clock());
  }

  private lockedReply(key: string): AuthResult | null {
    const seconds = this.lockout.secondsLeft(key, this.clock());
    if (seconds === 0) return null;
    return { ok: false, code: 'locked', message: `too many failed logins; try again in ${seconds} s`, seconds };
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
