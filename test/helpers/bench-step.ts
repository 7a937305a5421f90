import type { StepResult } from '../../bench/results.js';

/**
 * One made-up bench step (bench/results.ts StepResult) for the bench's table tests: N = 10, 10 senders at
 * 10 msg/s for 6 s, every delivery in, 10 CPU-s per million deliveries, neither side the limit; `over` changes
 * what a test is about.
 */
export function step(over: Partial<StepResult>): StepResult {
  return {
    ratePerSender: 10, senders: 10, n: 10, durationMs: 6000, sent: 600, target: 600, senderLagMs: 1, expected: 5400, received: 5400, lost: 0, dead: 0,
    deliveriesPerSec: 900, p50Ms: 1, p99Ms: 5, maxMs: 9, serverCpuSec: 0.1, serverCpuPerMDeliveries: 10, serverSysShare: 0.3, serverWritesPerDelivery: 0.9,
    serverReadsPerMessage: 1, generatorSleepsPerDelivery: 1, serverCores: 0.05, generatorCpuSec: 1, generatorCores: 0.2, generatorSysShare: 0.3,
    generatorMaxProcessCores: 0.1, otherCores: 0, serverRssKiB: 50_000, verdict: 'ok', limit: 'neither', ...over,
  };
}
