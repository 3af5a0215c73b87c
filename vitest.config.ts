import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Anything that starts a Temporal worker runs in its own process.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/setup/temporal.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
