import { MAX_LOCKOUT_ENTRIES, MAX_LOGIN_FAILURES } from '../wire/limits.js';

// Consecutive failed logins per name, and the lock they lead to. Kept for every name tried, registered or
// not, so a lock does not tell an attacker which names exist. Memory only: an attacker cannot restart the
// server, and after a restart the owner is never locked out by attempts made before it.

interface Entry {
  failures: number;
  /** Locked until this time (ms), or 0. */
  until: number;
}

export class Lockout {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly durationMs: number,
    private readonly maxFailures = MAX_LOGIN_FAILURES,
    private readonly maxEntries = MAX_LOCKOUT_ENTRIES,
  ) {}

  /** Whole seconds left on the lock of `key` (rounded up), or 0 if it is not locked. */
  secondsLeft(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e || e.until <= now) return 0;
    return Math.ceil((e.until - now) / 1000);
  }

  /** A wrong password for `key`. Returns the seconds of the lock it caused, or 0 if it caused none. */
  fail(key: string, now: number): number {
    let e = this.entries.get(key);
    if (e && e.until !== 0 && e.until <= now) e = undefined; // a lock that ran out starts a fresh count
    if (!e) {
      this.makeRoom(now);
      e = { failures: 0, until: 0 };
    }
    this.entries.delete(key); // re-insert: Map order is then oldest activity first
    this.entries.set(key, e);
    e.failures++;
    if (e.failures < this.maxFailures) return 0;
    e.failures = 0;
    e.until = now + this.durationMs;
    return Math.ceil(this.durationMs / 1000);
  }

  /** A successful login resets the count. */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [key, e] of this.entries) {
      if (e.until <= now) {
        this.entries.delete(key);
        if (this.entries.size < this.maxEntries) return;
      }
    }
    // Every entry is a live lock: forget the oldest rather than grow without bound.
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
