import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { MAX_CONCURRENT_HASHES, MAX_HASHES_PER_SOURCE, MAX_QUEUED_HASHES } from '../wire/limits.js';

// Password hashes: scrypt with a per-password salt, stored with their parameters as
// `scrypt$N$r$p$salt$hash` (salt and hash base64), so the cost can be raised later without breaking old
// hashes. Hashing runs on libuv's thread pool (async scrypt), never on the event loop, and at most
// MAX_CONCURRENT_HASHES at once: each one holds 128·N·r bytes (128 MiB at the default cost). Waiting hashes
// are served round-robin across sources, and one source may hold at most MAX_HASHES_PER_SOURCE (running or
// waiting), so addresses that storm the server with logins cannot push a fourth one's login to the back.

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's recommendation for scrypt (OWASP Password Storage Cheat Sheet). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** The busy signal: too many logins are already waiting for a hash. */
export class HasherBusy extends Error {
  constructor() {
    super('too many logins at once');
  }
}

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // The default maxmem (32 MiB) is below what N=2^17, r=8 needs; allow that plus a margin.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export function formatHash(params: ScryptParams, salt: Buffer, key: Buffer): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The parts of a stored hash, or null if it is not one this server can check. */
export function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // N must be a power of two; bounds keep a tampered row from asking for gigabytes.
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const key = Buffer.from(m[5]!, 'base64');
  if (key.length !== KEY_BYTES) return null;
  return { params: { N, r, p }, salt: Buffer.from(m[4]!, 'base64'), key };
}

/**
 * Hashes and checks passwords with a bounded queue. `verify(password, null)` checks against a dummy hash
 * of the same cost, so "no such user" takes as long as "wrong password" and gives the same answer.
 */
export class PasswordHasher {
  private running = 0;
  /** Waiting hashes by source. */
  private readonly waiting = new Map<string, (() => void)[]>();
  private queued = 0;
  /** Hashes running or waiting, per source. */
  private readonly perSource = new Map<string, number>();
  /** When each active source last had a hash started (a counter, not a clock): the least recent goes next. */
  private readonly lastServed = new Map<string, number>();
  private starts = 0;
  private readonly dummy: string;

  constructor(
    readonly params: ScryptParams = DEFAULT_SCRYPT,
    private readonly maxConcurrent = MAX_CONCURRENT_HASHES,
    private readonly maxQueued = MAX_QUEUED_HASHES,
    private readonly maxPerSource = MAX_HASHES_PER_SOURCE,
  ) {
    // Any salt and key of the right shape: the comparison fails whatever the password.
    this.dummy = formatHash(params, randomBytes(SALT_BYTES), randomBytes(KEY_BYTES));
  }

  /** Hash a new password. `source` (see sourceOf) gets its fair share; without one, no per-source cap. Throws HasherBusy. */
  hash(password: string, source?: string): Promise<string> {
    return this.slot(source, async () => {
      const salt = randomBytes(SALT_BYTES);
      return formatHash(this.params, salt, await scryptAsync(password, salt, this.params));
    });
  }

  /** Whether `password` matches `stored`; false for a missing or unreadable hash, after the same work. Throws HasherBusy. */
  verify(password: string, stored: string | null, source?: string): Promise<boolean> {
    return this.slot(source, async () => {
      const parsed = parseHash(stored ?? this.dummy) ?? parseHash(this.dummy)!;
      const key = await scryptAsync(password, parsed.salt, parsed.params);
      return timingSafeEqual(key, parsed.key) && stored !== null && parseHash(stored) !== null;
    });
  }

  private async slot<T>(source: string | undefined, work: () => Promise<T>): Promise<T> {
    const held = source === undefined ? 0 : (this.perSource.get(source) ?? 0);
    if (source !== undefined && held >= this.maxPerSource) throw new HasherBusy();
    if (this.running >= this.maxConcurrent && this.queued >= this.maxQueued) throw new HasherBusy();
    const who = source ?? '';
    if (source !== undefined) this.perSource.set(source, held + 1);
    try {
      if (this.running < this.maxConcurrent) this.running++;
      // A finished hash hands its slot straight to the next waiter, so `running` never exceeds the cap.
      else await new Promise<void>((resolve) => this.enqueue(who, resolve));
      this.lastServed.set(who, ++this.starts);
      try {
        return await work();
      } finally {
        const next = this.dequeue();
        if (next) next();
        else this.running--;
      }
    } finally {
      if (source !== undefined) {
        const left = (this.perSource.get(source) ?? 1) - 1;
        if (left > 0) this.perSource.set(source, left);
        else {
          this.perSource.delete(source);
          if (!this.waiting.has(source)) this.lastServed.delete(source);
        }
      }
    }
  }

  private enqueue(source: string, resolve: () => void): void {
    const q = this.waiting.get(source);
    if (q) q.push(resolve);
    else this.waiting.set(source, [resolve]);
    this.queued++;
  }

  /**
   * The next waiter: from the waiting source served least recently (one never served first, then in
   * arrival order), so every source gets a turn before any gets a second one.
   */
  private dequeue(): (() => void) | undefined {
    let pick: string | undefined;
    let best = Infinity;
    for (const source of this.waiting.keys()) {
      const last = this.lastServed.get(source) ?? -1;
      if (last < best) [pick, best] = [source, last];
    }
    if (pick === undefined) return undefined;
    const q = this.waiting.get(pick)!;
    const next = q.shift()!;
    if (q.length === 0) this.waiting.delete(pick);
    this.queued--;
    return next;
  }
}
