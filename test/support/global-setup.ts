import type { TestProject } from 'vitest/node'
import { startRedisServer } from './redis.js'
import { startRedisCluster } from './redis-cluster.js'
import { startRedisSentinel } from './redis-sentinel.js'

/**
 * What a project of the run needs started once:
 * - standalone: one redis-server with persistence (`appendonly yes`, `appendfsync everysec`),
 *   because the service refuses write-behind on a Redis that would lose deferred writes, and the
 *   shared one on 6379 has no persistence. Tests reach it through `persistentRedisUrl()`. With
 *   PERSISTENT_REDIS_URL set, that Redis is used and none is started.
 * - cluster: 3 masters with a replica each; sentinel: a master, a replica and 3 sentinels. Both
 *   with AOF; tests reach them through test/support/topology.ts.
 * Each is stopped by its own PIDs when the project ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const topology = project.config.env?.TEST_REDIS_TOPOLOGY ?? 'standalone'
  if (topology === 'cluster') {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, appendonly: true })
    project.provide('suiteRedis', { mode: 'cluster', nodes: cluster.seeds.join(',') })
    return () => cluster.dispose()
  }
  if (topology === 'sentinel') {
    const sentinel = await startRedisSentinel({ replicas: 1, sentinels: 3, appendonly: true })
    const sentinels = sentinel.sentinelAddresses.map(({ host, port }) => `${host}:${port}`)
    project.provide('suiteRedis', {
      mode: 'sentinel',
      sentinels: sentinels.join(','),
      masterName: sentinel.masterName,
    })
    return () => sentinel.dispose()
  }
  if (process.env.PERSISTENT_REDIS_URL) return async () => {}
  const server = await startRedisServer({ appendonly: true, appendfsync: 'everysec' })
  project.provide('persistentRedisUrl', server.url)
  // Stops the process it started (by its PID), then removes its data directory.
  return () => server.dispose()
}
