import type { RedisClient } from '@caching-strategies/cache'
import fp from 'fastify-plugin'
import type { Database } from '../../db/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
    redis: RedisClient
  }
}

export interface AppDependencies {
  database: Database
  redis: RedisClient
}

/**
 * Exposes the connections the entry point opened. The entry point owns them and closes them
 * after the app has drained, because a worker in the same process may still be using them.
 */
export default fp<AppDependencies>(
  async (app, { database, redis }) => {
    app.decorate('database', database)
    app.decorate<RedisClient>('redis', redis)
  },
  { name: 'dependencies' },
)
