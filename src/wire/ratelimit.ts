/**
 * A token bucket on an injected clock: `burst` requests at once, refilled at `perSecond`. Pure, so the hub's
 * flood rules are tested without waiting.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Spend one token if there is one. */
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until take() would succeed (0 if it would now). */
  waitMs(now: number): number {
    const tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    if (tokens >= 1 || this.perSecond <= 0) return tokens >= 1 ? 0 : Infinity;
    return Math.ceil(((1 - tokens) / this.perSecond) * 1000);
  }
}
