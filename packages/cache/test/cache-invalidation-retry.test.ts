import { describe, expect, it, onTestFinished } from 'vitest'
import { startFaultProxy } from '../../../test/support/fault-proxy.js'
import { startRedisServer } from '../../../test/support/redis.js'
import { MemoryTier } from '../src/memory/memory-tier.js'
import { adminClient, connectClient, POLL, startBus, startCache } from './helpers.js'

type Value = { name: string }

/**
 * Two instances with an L1 and a bus each; A reaches Redis through a fault proxy, so its
 * invalidation can fail while B and Redis are fine.
 */
async function twoInstances(retryInvalidations: boolean) {
  const server = await startRedisServer()
  onTestFinished(() => server.dispose())
  const proxy = await startFaultProxy({ targetPort: server.port })
  onTestFinished(() => proxy.close())
  const instance = async (url: string) => {
    const redis = await connectClient(url, 200)
    return startCache<Value>({
      name: 'product',
      redis,
      l1: new MemoryTier({ maxItems: 100, maxBytes: 1 << 20, ttlMs: 60_000 }),
      bus: await startBus(redis, 'cache:bus'),
      protections: { retryInvalidations },
    })
  }
  return {
    proxy,
    admin: adminClient(server.url),
    a: await instance(proxy.url),
    b: await instance(server.url),
  }
}

describe('an invalidation Redis did not take', () => {
  it.each([
    ['is tried again once Redis answers, and the other instances drop the old entry', true],
    ['control, not tried again (the protection off): the old entry stays in Redis and on B', false],
  ])('%s', async (_, retryInvalidations) => {
    const { proxy, admin, a, b } = await twoInstances(retryInvalidations)
    let row = 'old'
    const load = async () => ({ name: row })
    for (const cache of [a, b]) await cache.getOrSet('1', load)
    expect(await admin.exists(a.keyFor('1'))).toBe(1)

    proxy.blackhole() // A is cut off from Redis: its invalidation after a write times out
    row = 'new'
    await expect(a.delete('1')).rejects.toThrow()
    proxy.reset() // the held bytes go with the connections: the timed-out call never runs
    proxy.heal()

    const started = performance.now()
    const fresh = async () =>
      (await admin.exists(a.keyFor('1'))) === 0 &&
      (await b.getOrSet('1', load)).value?.name === 'new'
    if (retryInvalidations) {
      await expect
        .poll(fresh, {
          ...POLL,
          timeout: 10_000,
          message: 'the entry is gone from Redis and B reads the new row',
        })
        .toBe(true)
      console.info(
        `invalidation landed ${Math.round(performance.now() - started)} ms after A could reach Redis again`,
      )
    } else {
      // Something that must not happen needs a window: ten times what the retry took above.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(await fresh()).toBe(false)
    }
  })
})
