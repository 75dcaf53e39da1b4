import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import { queuePrefix } from '../../src/queues/catalog-queue.js'
import { type Dependencies, openDependencies } from '../../src/start/dependencies.js'
import { type TestDialect, testDialects } from './databases.js'
import { deleteByPrefix, uniquePrefix } from './redis.js'
import { suiteRedisEnv } from './topology.js'

/** ADMIN_TOKEN_MIN_LENGTH (32) characters and more. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop'
export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

export interface TestApp {
  app: FastifyInstance
  config: Config
  dependencies: Dependencies
  close(): Promise<void>
}

export const sqlite = testDialects.find((dialect) => dialect.name === 'sqlite') as TestDialect

const REDIS_LOCATIONS = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS']

/**
 * The config of a test's app: its own Redis key prefix and queues (so tests in parallel never
 * see each other's data), no worker unless a test asks for one (ROLE=all), and `env` on top.
 */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    // A test that says where Redis is (its own server, a topology of its own) is taken at its word.
    ...(REDIS_LOCATIONS.some((name) => name in env) ? {} : suiteRedisEnv()),
    REDIS_KEY_PREFIX: uniquePrefix(),
    QUEUE_PREFIX: `t-${randomUUID()}`,
    ROLE: 'api',
    // The suite runs many apps and servers on two cores: a reply can wait past the production
    // default (100 ms) in a busy event loop. Tests of the timeout itself set their own.
    REDIS_COMMAND_TIMEOUT_MS: '1000',
    ADMIN_TOKEN,
    SEED_PRODUCTS: '20',
    LOG_LEVEL: 'silent',
    ...env,
  })
}

/**
 * Builds the real app on its own database (SQLite unless told otherwise) and its own Redis key
 * prefix, so tests in parallel never see each other's data. `close` removes both.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  dialect: TestDialect = sqlite,
  appOptions: Parameters<typeof buildApp>[2] = {},
): Promise<TestApp> {
  const database = await dialect.create()
  const config = testConfig(database.url, env)
  const { dependencies } = await openDependencies(config)
  const app = await buildApp(config, dependencies, appOptions)
  await app.ready()
  return {
    app,
    config,
    dependencies,
    async close() {
      await app.close()
      await deleteByPrefix(dependencies.redis, config.REDIS_KEY_PREFIX)
      await deleteByPrefix(dependencies.redis, queuePrefix(config))
      await dependencies.close()
      await database.cleanup()
    },
  }
}
