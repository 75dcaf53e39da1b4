import { createRedisClient } from '@caching-strategies/cache'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { queuePrefix } from '../../src/queues/catalog-queue.js'
import { redisTarget } from '../../src/redis-target.js'
import { openDependencies } from '../../src/start/dependencies.js'
import { sqlite, testConfig } from './app.js'
import type { TestDialect } from './databases.js'
import { deleteByPrefix } from './redis.js'

export interface TestCluster {
  apps: FastifyInstance[]
  config: Config
  /** Sum of a counter over every instance, e.g. `cache_loads_total{cache="product"}`. */
  total(series: string): Promise<number>
  close(): Promise<void>
}

/**
 * `size` app instances as separate services would run them: one database and one Redis key
 * prefix between them, but each with its own Redis connections, L1, bus subscription and
 * metrics. (The database handle is shared: it is the database they share.)
 */
export async function startCluster(
  size: number,
  env: Record<string, string> = {},
  dialect: TestDialect = sqlite,
): Promise<TestCluster> {
  const database = await dialect.create()
  const config = testConfig(database.url, env)
  const { dependencies } = await openDependencies(config)
  const clients = Array.from({ length: size }, () =>
    createRedisClient(redisTarget(config), { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS }),
  )
  const apps = await Promise.all(
    clients.map((redis) => buildApp(config, { database: dependencies.database, redis })),
  )
  await Promise.all(apps.map((app) => app.ready()))

  return {
    apps,
    config,
    async total(series) {
      let sum = 0
      for (const app of apps) {
        const text = await app.metrics.registry.metrics()
        const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
        sum += line ? Number(line.slice(series.length + 1)) : 0
      }
      return sum
    },
    async close() {
      await Promise.all(apps.map((app) => app.close()))
      await deleteByPrefix(dependencies.redis, config.REDIS_KEY_PREFIX)
      await deleteByPrefix(dependencies.redis, queuePrefix(config))
      for (const redis of clients) redis.disconnect()
      await dependencies.close()
      await database.cleanup()
    },
  }
}
