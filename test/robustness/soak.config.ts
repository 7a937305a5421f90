import { defineConfig } from 'vitest/config';

// `npm run soak`: the long runs that are not part of `npm test` — the soak (soak.ts) and 50 rounds of
// kill -9 (kill9.test.ts, 10 rounds in npm test). One file at a time, so the soak has the machine.
export default defineConfig({
  test: {
    include: ['test/robustness/soak.ts', 'test/robustness/kill9.test.ts'],
    env: { PARLEY_KILL_ROUNDS: process.env.PARLEY_KILL_ROUNDS ?? '50' },
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 60_000,
  },
});
