import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Anything that starts a Temporal worker runs in its own process.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'cellshift', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/kube/**'], globalSetup: ['test/setup/temporal.ts'] },
      },
      {
        // Against a real Kubernetes control plane on loopback, started once for the project.
        extends: true,
        test: { name: 'kubernetes', include: ['test/kube/**/*.test.ts'], globalSetup: ['test/setup/temporal.ts', 'test/setup/kube.ts'], hookTimeout: 600_000 },
      },
    ],
  },
});
