import { defineConfig } from 'vitest/config';

// Two tiers: `npm test` runs the fast one (in process); `npm run test:slow` the *.slow.test.ts files
// (CLI processes, cross-backend processes, the bench, the package). CI runs both.
export default defineConfig({
  test: {
    include: [process.env.FLOWZIP_TEST_TIER === 'slow' ? 'test/**/*.slow.test.ts' : 'test/**/*.test.ts'],
    exclude: process.env.FLOWZIP_TEST_TIER === 'slow' ? [] : ['test/**/*.slow.test.ts', '**/node_modules/**'],
    // Every test has a deadline, so a hang in a decoder is a failure, not a stuck CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
