import { BYTE_BURST, BYTES_PER_SECOND, FRAME_BURST, FRAMES_PER_SECOND, MAX_THROTTLE_MS } from '../wire/limits.js';

// What one connection may make the server read: frames and bytes, each a bucket that refills at a steady
// rate and may go into debt. Every line costs, including those that cost the hub nothing to answer
// (blank lines, pings, malformed frames): they still cost the server a read, a split and a parse, and a
// flood of them once pinned a core. A connection in debt is not read from until the debt is paid. Pure:
// the host passes the clock in.

export interface BudgetRates {
  frameBurst: number;
  framesPerSecond: number;
  byteBurst: number;
  bytesPerSecond: number;
}

export const DEFAULT_BUDGET: BudgetRates = {
  frameBurst: FRAME_BURST,
  framesPerSecond: FRAMES_PER_SECOND,
  byteBurst: BYTE_BURST,
  bytesPerSecond: BYTES_PER_SECOND,
};

export class FrameBudget {
  private frames: number;
  private bytes: number;
  private last: number;

  constructor(
    private readonly rates: BudgetRates,
    now: number,
  ) {
    this.frames = rates.frameBurst;
    this.bytes = rates.byteBurst;
    this.last = now;
  }

  /** Pay for `frames` lines and `bytes` bytes read; the balance may go negative. */
  charge(frames: number, bytes: number, now: number): void {
    this.refill(now);
    const floor = -MAX_THROTTLE_MS / 1000;
    this.frames = Math.max(floor * this.rates.framesPerSecond, this.frames - frames);
    this.bytes = Math.max(floor * this.rates.bytesPerSecond, this.bytes - bytes);
  }

  /** Whether the next frame may be handled now (neither balance below one unit). */
  ok(now: number): boolean {
    this.refill(now);
    return this.frames >= 1 && this.bytes >= 0;
  }

  /** Milliseconds until ok() holds again, at least 1 when it does not hold now. */
  waitMs(now: number): number {
    this.refill(now);
    const f = this.frames >= 1 ? 0 : ((1 - this.frames) / this.rates.framesPerSecond) * 1000;
    const b = this.bytes >= 0 ? 0 : (-this.bytes / this.rates.bytesPerSecond) * 1000;
    return Math.max(f, b) === 0 ? 0 : Math.max(1, Math.ceil(Math.max(f, b)));
  }

  private refill(now: number): void {
    const s = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.frames = Math.min(this.rates.frameBurst, this.frames + s * this.rates.framesPerSecond);
    this.bytes = Math.min(this.rates.byteBurst, this.bytes + s * this.rates.bytesPerSecond);
  }
}
