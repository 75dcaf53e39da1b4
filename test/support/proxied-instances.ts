import { createRedisClient } from '@caching-strategies/cache'
import type { FastifyInstance } from 'fastify'
import { onTestFinished } from 'vitest'
import { buildApp } from '../../src/app.js'
import { openDependencies } from '../../src/start/dependencies.js'
import { sqlite, testConfig } from './app.js'
import { type FaultProxy, startFaultProxy } from './fault-proxy.js'
import { type RedisServer, startRedisServer } from './redis.js'

/**
 * A redis-server of the test's own (no persistence, so a synchronous write may go ahead without
 * Redis: nothing can be staged there), a fault proxy in front of it, and one database; then
 * `instance(url)` builds an app on them that reaches Redis at `url` (the server's or the
 * proxy's). Everything is stopped when the test finishes.
 */
export async function instancesOnOwnRedis(env: Record<string, string> = {}): Promise<{
  server: RedisServer
  proxy: FaultProxy
  instance(url: string): Promise<FastifyInstance>
}> {
  const server = await startRedisServer()
  onTestFinished(() => server.dispose())
  const proxy = await startFaultProxy({ targetPort: server.port })
  onTestFinished(() => proxy.close())
  const database = await sqlite.create()
  onTestFinished(() => database.cleanup())
  const config = testConfig(database.url, { REDIS_URL: server.url, ...env })
  const { dependencies } = await openDependencies(config)
  onTestFinished(() => dependencies.close())
  const instance = async (url: string) => {
    const redis = createRedisClient(url, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS })
    onTestFinished(() => void redis.disconnect())
    const app = await buildApp(config, { database: dependencies.database, redis })
    await app.ready()
    onTestFinished(() => app.close())
    return app
  }
  return { server, proxy, instance }
}
