import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { IDLE_GC_CHECK_MS, IDLE_GC_GROWTH_BYTES, IDLE_GC_MAX_BUSY, IDLE_GC_QUIET_CHECKS, IDLE_GC_RETRIES } from '../wire/limits.js';

// One full garbage collection when the server goes quiet after its heap grew (issue 15, target 4). V8 sizes
// its young generation by the last burst (up to 32 MiB, which it keeps) and frees old space's garbage only at
// its next full collection; a server that has gone quiet allocates too little to reach one, so after a
// burst of talk it held ~32 MiB of young generation and tens of MiB of garbage for as long as it stayed
// quiet. One collection once it has been quiet for longer than V8's 5 s window of allocation throughput
// frees the garbage and lets V8 shrink the young generation to 1 MiB (a collection at a low allocation
// rate does). Measured in bench/README.md ("Target 4 — memory per client").

/** One check's view of the process: the heap's size and how busy the event loop was since the last check. */
export interface HeapSample {
  /** V8's total heap size in bytes (`v8.getHeapStatistics().total_heap_size`). */
  heapBytes: number;
  /** Share of the interval since the previous check the event loop was busy, 0-1 (event-loop utilisation). */
  busy: number;
  /**
   * Messages the server relayed since the previous check (Hub.messagesIssued's growth). A room of 10 msg/s
   * keeps the loop under IDLE_GC_MAX_BUSY, and a full collection in it would stall every line in flight.
   */
  messages: number;
}

/**
 * When to collect, as the pure rule: quiet for `quietChecks` checks in a row after growing `growthBytes`. A
 * collection that gave back less than `growthBytes` (V8 still counted the burst's allocation rate and kept
 * its young generation) is tried again after twice as many quiet checks, at most IDLE_GC_RETRIES times; then
 * only new growth counts.
 */
export class IdlePolicy {
  private quiet = 0;
  private baseline: number;
  private retries = 0;

  /** `startBytes`: the heap's size to measure growth from (the process's after start-up). */
  constructor(
    startBytes: number,
    private readonly quietChecks = IDLE_GC_QUIET_CHECKS,
    private readonly maxBusy = IDLE_GC_MAX_BUSY,
    private readonly growthBytes = IDLE_GC_GROWTH_BYTES,
  ) {
    this.baseline = startBytes;
  }

  /** Take one check's sample; true when a collection is due now (then call `collected`). */
  check(s: HeapSample): boolean {
    this.quiet = s.messages === 0 && s.busy <= this.maxBusy ? this.quiet + 1 : 0;
    // A heap that shrank by itself (V8 collected) is the new baseline: growth is counted from its low point.
    if (s.heapBytes < this.baseline) this.baseline = s.heapBytes;
    return this.quiet >= this.quietChecks * 2 ** this.retries && s.heapBytes - this.baseline >= this.growthBytes;
  }

  /** The heap's size before and after the collection: once it gave enough back (or after the retries), growth counts from here on. */
  collected(heapBeforeBytes: number, heapAfterBytes: number): void {
    this.quiet = 0;
    if (heapBeforeBytes - heapAfterBytes < this.growthBytes && this.retries < IDLE_GC_RETRIES) {
      this.retries++;
      return;
    }
    this.retries = 0;
    this.baseline = heapAfterBytes;
  }
}

/** What a collection did, for the log. */
export interface IdleCollection {
  heapBeforeBytes: number;
  heapAfterBytes: number;
  ms: number;
}

/**
 * Check every `everyMs` (an unreferenced timer: it keeps no process alive) and run one full collection when
 * the policy says so; `onCollect` hears of each. `messages()`: the server's count of messages relayed so far
 * (Hub.messagesIssued). Returns a function that stops the checks.
 */
export function collectWhenIdle(onCollect: (c: IdleCollection) => void, messages: () => number, everyMs = IDLE_GC_CHECK_MS): () => void {
  const gc = fullCollector();
  const heap = (): number => v8.getHeapStatistics().total_heap_size;
  const policy = new IdlePolicy(heap());
  let last = performance.eventLoopUtilization();
  let lastMessages = messages();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const relayed = messages() - lastMessages;
    lastMessages += relayed;
    const heapBeforeBytes = heap();
    if (!policy.check({ heapBytes: heapBeforeBytes, busy, messages: relayed })) return;
    const t0 = performance.now();
    gc();
    const ms = performance.now() - t0;
    const heapAfterBytes = heap();
    policy.collected(heapBeforeBytes, heapAfterBytes);
    // The collection's own time is not the server's work: the next check measures from after it.
    last = performance.eventLoopUtilization();
    onCollect({ heapBeforeBytes, heapAfterBytes, ms });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * V8's `gc()` without `--expose-gc` on the command line (people start the server as `node main.js` as well as
 * through its bin): the flag set at run time exposes `gc` in contexts made after it, so one is made for it and
 * the flag is cleared again (the same way jest's leak detector gets it). Node documents run-time flag changes
 * as "use with care"; this one adds a function to a new context and changes nothing else.
 */
function fullCollector(): () => void {
  // Started with --expose-gc already: use it, and leave the flag as the operator set it.
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext('gc') as () => void;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}
