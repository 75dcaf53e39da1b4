import { createRedisClient, whenReady } from '@caching-strategies/cache'
import { describe, expect, it, onTestFinished } from 'vitest'
import { MasterWatch } from '../../packages/cache/src/redis/master-watch.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { POLL } from '../worker/write-behind-support.js'

describe('MasterWatch on a Redis Cluster', () => {
  it('sees no failover while the client learns the cluster from one replica, then sees the real one', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
    onTestFinished(() => cluster.dispose())
    const [first] = await cluster.masters()
    const seedPort = first?.replicaPorts[0]
    if (first === undefined || seedPort === undefined) throw new Error('no replica to seed from')
    // Seeded with a replica alone: before its first slot refresh the client counts it a master.
    const redis = createRedisClient(
      { mode: 'cluster', nodes: [{ host: '127.0.0.1', port: seedPort }] },
      { commandTimeoutMs: 1000 },
    )
    onTestFinished(() => redis.disconnect())
    const watch = new MasterWatch(redis)
    expect(watch.replaced()).toBe(false) // connecting
    expect(await whenReady(redis, 5000)).toBe(true)
    // A window for something that must not happen: a failover seen while nothing failed over.
    for (let i = 0; i < 20; i++) {
      expect(watch.replaced()).toBe(false)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }

    await cluster.failover(first.port, { how: 'kill' })
    let key = 0
    const started = performance.now()
    await expect
      .poll(async () => {
        // Traffic over every slot: a redirection makes the client refresh its slot map.
        await redis.get(`key:${key++}`).catch(() => {})
        return watch.replaced()
      }, POLL)
      .toBe(true)
    const tookMs = performance.now() - started
    console.info(`MasterWatch noticed the failover ${Math.round(tookMs)} ms after the new master`)
  }, 60_000)
})
