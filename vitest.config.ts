import { defineConfig } from 'vitest/config'

// Three projects: `unit` (in-memory ports, fastify.inject; no servers), `serial` (timed, run
// alone) and `integration` (real PostgreSQL, pgvector, Redis, Kafka and Cassandra, started once by the global setup).
export default defineConfig({
  test: {
    // `--changed` (landing checks) reruns everything when a trigger changes; vitest's default
    // triggers include every package.json, so adding one dependency ran the whole unit suite.
    // CI runs every test whatever changed.
    forceRerunTriggers: ['**/vitest.config.*'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'bench/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.serial.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        // Tests whose subject is wall time (e.g. `switchyard start` answers within 10 s): no
        // external servers, but run alone so that the rest of the suite does not share the CPU.
        test: {
          name: 'serial',
          include: ['packages/*/src/**/*.serial.test.ts', 'services/*/src/**/*.serial.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/src/**/*.int.test.ts', 'services/*/src/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['packages/test-backends/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Suites share one set of servers; some restart a broker. One file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
})
