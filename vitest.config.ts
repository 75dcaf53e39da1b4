import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * The suites that matter for distribution, run on every topology as well as on the one Redis:
 * the cache, the bus, one load per stampede, the read/write race, write-behind and the worker's
 * SIGKILL. The same files, not copies: test/support/topology.ts points them at the project's Redis.
 */
const TOPOLOGY_MATRIX = [
  'packages/cache/test/cache.test.ts',
  'packages/cache/test/cache-get-many.test.ts',
  'test/cache/cache-single-flight.test.ts',
  'test/cache/cache-fencing.test.ts',
  'packages/cache/test/cache-tags.test.ts',
  'packages/cache/test/cache-version.test.ts',
  'packages/cache/test/bus.test.ts',
  'test/cluster/*.test.ts',
  'test/worker/write-behind.test.ts',
  'test/worker/write-behind-order.test.ts',
  'test/worker/write-behind-races.test.ts',
  'test/worker/write-behind-sigkill.test.ts',
]

/**
 * Tests import the cache package by its name, as the service does; they run its TypeScript
 * source (tsconfig.json maps the name the same way for the type checker and tsx).
 */
const resolve = {
  alias: {
    '@caching-strategies/cache': fileURLToPath(
      new URL('./packages/cache/src/index.ts', import.meta.url),
    ),
  },
}

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
      {
        resolve,
        test: {
          ...shared,
          name: 'standalone',
          include: ['test/**/*.test.ts', 'packages/cache/test/**/*.test.ts'],
        },
      },
      {
        resolve,
        test: {
          ...shared,
          name: 'cluster',
          include: TOPOLOGY_MATRIX,
          env: { TEST_REDIS_TOPOLOGY: 'cluster' },
        },
      },
      {
        resolve,
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
