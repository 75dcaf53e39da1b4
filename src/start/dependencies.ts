import { createRedisClient, type RedisClient } from '@caching-strategies/cache'
import type { Config } from '../config.js'
import { type Database, openDatabase } from '../db/client.js'
import { migrateToLatest } from '../db/migrate.js'
import { seedIfEmpty } from '../db/seed.js'
import { redisTarget } from '../redis-target.js'

export interface Dependencies {
  database: Database
  redis: RedisClient
  close(): Promise<void>
}

export interface OpenOptions {
  /** Progress of the first-start seed, e.g. for a progress bar. */
  onSeedProgress?: (done: number, total: number) => void
}

/**
 * Opens what every process needs: the database (migrated, and seeded when empty) and Redis.
 * Redis may be down at start: the client connects in the background and reads fall through.
 */
export async function openDependencies(config: Config, options: OpenOptions = {}) {
  const database = await openDatabase(config.DATABASE_URL)
  try {
    await migrateToLatest(database.db, database.dialect)
    const seed = await seedIfEmpty(database, {
      products: config.SEED_PRODUCTS,
      onProgress: options.onSeedProgress,
    })
    const redis = createRedisClient(redisTarget(config), {
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    })
    const dependencies: Dependencies = {
      database,
      redis,
      async close() {
        redis.disconnect()
        await database.close()
      },
    }
    return { dependencies, seed }
  } catch (error) {
    await database.close()
    throw error
  }
}
