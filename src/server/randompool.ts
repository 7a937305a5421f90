import { randomBytes } from 'node:crypto';

// Unguessable keys in numbers (a session key per connection): drawn from the CSPRNG a pool at a time. Each
// crypto.randomBytes call costs a trip into OpenSSL (and a getpid() for its fork check), several µs; a join
// storm of 1,000 clients made 1,000 of them for 16 bytes each (issue 15, target 6). The bytes are the same
// CSPRNG's; each is handed out once.

/** Bytes drawn at once. */
const POOL_BYTES = 4096;

/** Hands out CSPRNG bytes drawn POOL_BYTES at a time, each byte once. */
export class RandomPool {
  private pool: Buffer = Buffer.alloc(0);
  private used = 0;
  /** How many times the source was drawn from (for tests). */
  draws = 0;

  /** `random`: the source (crypto.randomBytes; tests count its calls). */
  constructor(private readonly random: (bytes: number) => Buffer = randomBytes) {}

  /** `bytes` (≤ POOL_BYTES) fresh random bytes as base64url text (16 bytes: 22 characters). */
  token(bytes: number): string {
    if (this.used + bytes > this.pool.length) {
      this.pool = this.random(Math.max(POOL_BYTES, bytes));
      this.draws++;
      this.used = 0;
    }
    const text = this.pool.toString('base64url', this.used, this.used + bytes);
    this.used += bytes;
    return text;
  }
}
