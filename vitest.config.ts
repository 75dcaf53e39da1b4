import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts the run's Redis with persistence (for write-behind); see the file.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Files share one Redis and one PostgreSQL; each test isolates itself by key prefix / schema.
    fileParallelism: true,
    maxWorkers: 2,
  },
})
