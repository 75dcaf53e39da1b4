import type { TestProject } from 'vitest/node'
import { startRedisServer } from './redis.js'

/**
 * One redis-server with persistence for the whole run (`appendonly yes`, `appendfsync everysec`),
 * because the service refuses write-behind on a Redis that would lose deferred writes, and the
 * shared one on 6379 has no persistence. Tests reach it through `persistentRedisUrl()`. With
 * PERSISTENT_REDIS_URL set, that Redis is used and none is started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.PERSISTENT_REDIS_URL) return async () => {}
  const server = await startRedisServer({ appendonly: true, appendfsync: 'everysec' })
  project.provide('persistentRedisUrl', server.url)
  // Stops the process it started (by its PID), then removes its data directory.
  return () => server.dispose()
}
