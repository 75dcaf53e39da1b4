import { defineConfig } from 'vitest/config'

/**
 * The suites that matter for distribution, run on every topology as well as on the one Redis:
 * the cache, the bus, one load per stampede, the read/write race, write-behind and the worker's
 * SIGKILL. The same files, not copies: test/support/topology.ts points them at the project's Redis.
 */
const TOPOLOGY_MATRIX = [
  'test/cache/cache.test.ts',
  'test/cache/cache-single-flight.test.ts',
  'test/cache/cache-fencing.test.ts',
  'test/cache/cache-tags.test.ts',
  'test/cache/cache-version.test.ts',
  'test/cache/bus.test.ts',
  'test/cluster/*.test.ts',
  'test/worker/write-behind.test.ts',
  'test/worker/write-behind-order.test.ts',
  'test/worker/write-behind-races.test.ts',
  'test/worker/write-behind-sigkill.test.ts',
]

const shared = {
  // Starts the project's Redis (with persistence, for write-behind); see the file.
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 20_000,
  hookTimeout: 30_000,
}

export default defineConfig({
  test: {
    // Files share one Redis and one PostgreSQL; each test isolates itself by key prefix / schema.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'standalone', include: ['test/**/*.test.ts'] } },
      {
        test: {
          ...shared,
          name: 'cluster',
          include: TOPOLOGY_MATRIX,
          env: { TEST_REDIS_TOPOLOGY: 'cluster' },
        },
      },
      {
        test: {
          ...shared,
          name: 'sentinel',
          include: TOPOLOGY_MATRIX,
          env: { TEST_REDIS_TOPOLOGY: 'sentinel' },
        },
      },
    ],
  },
})
