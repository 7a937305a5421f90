import { describe, expect, it } from 'vitest';
import { IdlePolicy } from '../../src/server/idlegc.js';
import { IDLE_GC_GROWTH_BYTES, IDLE_GC_MAX_BUSY, IDLE_GC_QUIET_CHECKS, IDLE_GC_RETRIES } from '../../src/wire/limits.js';

// When the server collects its garbage by itself (issue 15, target 4): once it has been quiet for
// IDLE_GC_QUIET_CHECKS checks in a row after its heap grew by IDLE_GC_GROWTH_BYTES, and only once per growth.
// test/server/footprint.test.ts "memory after a burst of talk" measures what it gives back in the real server.

const MiB = 1024 * 1024;
const quiet = (heapBytes: number) => ({ heapBytes, busy: 0.01, messages: 0 });
const busy = (heapBytes: number) => ({ heapBytes, busy: 0.6, messages: 0 });

describe('IdlePolicy', () => {
  it('collects after the heap grew and the loop then stayed quiet for the set number of checks, not before', () => {
    const p = new IdlePolicy(20 * MiB);
    expect(p.check(busy(60 * MiB))).toBe(false);
    for (let i = 1; i < IDLE_GC_QUIET_CHECKS; i++) expect(p.check(quiet(60 * MiB))).toBe(false);
    expect(p.check(quiet(60 * MiB))).toBe(true);
  });

  it('a busy check in between starts the quiet count again', () => {
    const p = new IdlePolicy(20 * MiB, 2);
    expect(p.check(quiet(60 * MiB))).toBe(false);
    expect(p.check(busy(60 * MiB))).toBe(false);
    expect(p.check(quiet(60 * MiB))).toBe(false);
    expect(p.check(quiet(60 * MiB))).toBe(true);
  });

  it('a quiet server whose heap has not grown is never collected', () => {
    const p = new IdlePolicy(20 * MiB);
    for (let i = 0; i < 100; i++) expect(p.check(quiet(20 * MiB + IDLE_GC_GROWTH_BYTES - 1))).toBe(false);
  });

  it('collects once per growth: after a collection only new growth counts', () => {
    const p = new IdlePolicy(20 * MiB, 1);
    expect(p.check(quiet(60 * MiB))).toBe(true);
    p.collected(60 * MiB, 30 * MiB);
    for (let i = 0; i < 10; i++) expect(p.check(quiet(30 * MiB + IDLE_GC_GROWTH_BYTES - 1))).toBe(false);
    expect(p.check(quiet(30 * MiB + IDLE_GC_GROWTH_BYTES))).toBe(true);
  });

  it('a collection that gave little back is tried again after twice the quiet, IDLE_GC_RETRIES times, then not until new growth', () => {
    const p = new IdlePolicy(20 * MiB, 1);
    let checks = 0;
    let collections = 0;
    for (; checks < 1000; checks++) {
      if (p.check(quiet(60 * MiB))) {
        collections++;
        p.collected(60 * MiB, 60 * MiB - 1);
      }
    }
    expect(collections).toBe(1 + IDLE_GC_RETRIES);
    expect(p.check(quiet(60 * MiB + IDLE_GC_GROWTH_BYTES))).toBe(true);
  });

  it('growth is counted from the lowest the heap went by itself (V8 collected on its own meanwhile)', () => {
    const p = new IdlePolicy(40 * MiB, 1);
    expect(p.check(busy(18 * MiB))).toBe(false);
    expect(p.check(quiet(18 * MiB + IDLE_GC_GROWTH_BYTES))).toBe(true);
  });

  it('quiet is at most IDLE_GC_MAX_BUSY of the interval busy', () => {
    const p = new IdlePolicy(20 * MiB, 1);
    expect(p.check({ heapBytes: 60 * MiB, busy: IDLE_GC_MAX_BUSY + 0.01, messages: 0 })).toBe(false);
    expect(p.check({ heapBytes: 60 * MiB, busy: IDLE_GC_MAX_BUSY, messages: 0 })).toBe(true);
  });

  it('a light room is not quiet: an interval in which messages were relayed never collects, however idle the loop', () => {
    // A room of 10 msg/s after a burst: the loop ~1% busy, the heap grown; a full collection here stalls
    // every line in flight (the review of the first version saw a 100 ms one at the bench's open-loop rate).
    const p = new IdlePolicy(20 * MiB, 1);
    for (let i = 0; i < 20; i++) expect(p.check({ heapBytes: 60 * MiB, busy: 0.01, messages: 30 })).toBe(false);
    expect(p.check(quiet(60 * MiB))).toBe(true);
  });
});
