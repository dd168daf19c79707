import { defineConfig } from 'vitest/config';

// Tests run against the workspaces' TypeScript sources (the "source" export
// condition), so no build is needed before `vitest`. Only "source" is added to
// Vite's defaults: listing "import" here would leak into Node's resolution of
// CommonJS dependencies (engine.io would get the ESM build of ws).
const resolve = { conditions: ['source', 'module', 'node'] };
const ssr = { resolve: { conditions: ['source', 'module', 'node'] } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    // Two files at a time: most integration time is spent waiting (outages of
    // 60 s, brokers and InfluxDB restarting), not computing, and nothing
    // asserts on time, so a busy machine only makes tests slower.
    maxWorkers: 2,
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Generous: a loaded 2-core CI machine must not turn slowness into failures.
          testTimeout: 20_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
