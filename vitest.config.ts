import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test has a deadline, so a hang in a decoder is a failure, not a stuck CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
