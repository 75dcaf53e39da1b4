import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { startRedisServer } from '../../../test/support/redis.js'
import type { InvalidationBus } from '../src/bus/invalidation-bus.js'
import type { Cache } from '../src/cache.js'
import { MemoryTier } from '../src/memory/memory-tier.js'
import {
  adminClient,
  connectClient,
  deferred,
  isolatedPrefix,
  POLL,
  spyObserver,
  startBus,
  startCache,
} from './helpers.js'

// The in-process L1 in front of Redis, kept correct across instances by the invalidation bus.

interface Product {
  id: number
  name: string
  dimensions: { cm: number[] }
}

async function setup() {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const channel = `${keyPrefix}cache:bus`
  const instance = async () => {
    const redis = await connectClient()
    const l1 = new MemoryTier()
    const bus = await startBus(redis, channel)
    const observer = spyObserver()
    const cache = await startCache<Product>({
      name: 'product',
      redis,
      keyPrefix,
      l1,
      bus,
      observer,
      versionRefreshMs: 60_000, // only the bus may carry news
    })
    return { cache, l1, bus, observer }
  }
  return { admin, instance }
}

const pen = (name = 'pen'): Product => ({ id: 42, name, dimensions: { cm: [14, 1] } })

describe('L1 (in-process tier)', () => {
  it('answers a read after a fill from L1, without Redis', async () => {
    const { admin, instance } = await setup()
    const { cache, observer } = await instance()
    const loader = vi.fn(async () => pen())

    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ status: 'miss' })
    await admin.del(cache.keyFor('42')) // Redis no longer has it: only L1 can answer
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({
      value: pen(),
      status: 'hit',
      tier: 'l1',
    })
    expect(loader).toHaveBeenCalledTimes(1)
    expect(observer.hit).toHaveBeenCalledExactlyOnceWith('product', 'l1')
  })

  it('answers a fresh L1 hit synchronously with getFromMemory, and nothing else', async () => {
    const { admin, instance } = await setup()
    const { cache, observer } = await instance()
    const loader = vi.fn(async () => pen())
    expect(cache.getFromMemory('42', loader)).toBeUndefined() // not cached yet

    await cache.getOrSet('42', loader)
    const hit = cache.getFromMemory('42', loader)
    expect(hit).not.toBeInstanceOf(Promise)
    expect(hit).toMatchObject({ value: pen(), status: 'hit', tier: 'l1' })
    expect(hit?.value).toBe((await cache.getOrSet('42', loader)).value)
    expect(observer.hit).toHaveBeenCalledTimes(2) // counted like any hit

    await cache.delete('42')
    expect(cache.getFromMemory('42', loader)).toBeUndefined()
    // Only in Redis (another instance's fill): getOrSet's business, not getFromMemory's.
    await cache.getOrSet('42', loader)
    const raw = await admin.get(cache.keyFor('42'))
    const other = await instance()
    if (raw) await admin.set(other.cache.keyFor('42'), raw)
    expect(other.cache.getFromMemory('42', loader)).toBeUndefined()
    expect(loader).toHaveBeenCalledTimes(2)
  })

  /** Caches on one key prefix with an L1 each, fresh for 200 ms, stale for a minute after. */
  async function shortLived(count: number) {
    const keyPrefix = isolatedPrefix(adminClient())
    const caches: Cache<Product>[] = []
    for (let i = 0; i < count; i++) {
      caches.push(
        await startCache<Product>({
          name: 'product',
          redis: await connectClient(),
          keyPrefix,
          l1: new MemoryTier(),
          ttlSeconds: 0.2,
          graceSeconds: 60,
          earlyRefreshBeta: 0, // fresh, then surely stale
        }),
      )
    }
    return caches
  }

  it('answers a stale L1 entry at once (getFromMemory too) while one refresh runs', async () => {
    const [cache] = (await shortLived(1)) as [Cache<Product>]
    const database = deferred()
    const loader = vi.fn(async () => {
      if (loader.mock.calls.length === 1) return pen()
      await database.promise
      return pen('new pen')
    })
    const { freshUntil } = await cache.getOrSet('42', loader)
    await expect
      .poll(() => Date.now(), {
        ...POLL,
        timeout: freshUntil - Date.now() + 5000,
        message: 'the entry is stale',
      })
      .toBeGreaterThan(freshUntil)

    const stale = { value: pen(), status: 'stale', tier: 'l1' }
    expect(cache.getFromMemory('42', loader)).toMatchObject(stale)
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject(stale)
    await expect
      .poll(() => loader.mock.calls.length === 2, {
        ...POLL,
        message: 'the refresh reaches the database',
      })
      .toBe(true)
    for (let i = 0; i < 5; i++) expect(cache.getFromMemory('42', loader)).toMatchObject(stale)
    expect(loader).toHaveBeenCalledTimes(2) // the fill, then one refresh for all stale reads

    database.resolve()
    await expect
      .poll(() => cache.getFromMemory('42', loader)?.status === 'hit', {
        ...POLL,
        message: 'refreshed',
      })
      .toBe(true)
    expect(cache.getFromMemory('42', loader)?.value).toEqual(pen('new pen'))
  })

  it("takes another instance's fresher copy from Redis when its own L1 entry goes stale, without a load", async () => {
    const [a, b] = (await shortLived(2)) as [Cache<Product>, Cache<Product>]
    let version = 0
    const loader = vi.fn(async () => pen(`pen ${++version}`))
    const { freshUntil } = await a.getOrSet('42', loader)
    await expect(b.getOrSet('42', loader)).resolves.toMatchObject({ tier: 'l2' }) // now in b's L1
    await expect
      .poll(() => Date.now(), {
        ...POLL,
        timeout: freshUntil - Date.now() + 5000,
        message: 'both copies are stale',
      })
      .toBeGreaterThan(freshUntil)

    await a.getOrSet('42', loader) // stale: a refreshes, for the cluster
    await expect
      .poll(() => a.getFromMemory('42', loader)?.status === 'hit', {
        ...POLL,
        message: 'a refreshed',
      })
      .toBe(true)
    expect(loader).toHaveBeenCalledTimes(2)

    // b still holds the old copy: answered stale once, while its refresh finds a's in Redis.
    expect(b.getFromMemory('42', loader)).toMatchObject({ value: pen('pen 1'), status: 'stale' })
    await expect
      .poll(() => b.getFromMemory('42', loader)?.value?.name === 'pen 2', {
        ...POLL,
        message: 'b caught up',
      })
      .toBe(true)
    expect(loader).toHaveBeenCalledTimes(2)
  })

  it('keeps what another instance filled, once read from Redis', async () => {
    const { instance } = await setup()
    const [a, b] = [await instance(), await instance()]
    await a.cache.getOrSet('42', async () => pen())
    await expect(b.cache.getOrSet('42', async () => pen())).resolves.toMatchObject({ tier: 'l2' })
    await expect(b.cache.getOrSet('42', async () => pen())).resolves.toMatchObject({ tier: 'l1' })
  })

  it('hands out the identical, deeply frozen object on every hit', async () => {
    const { instance } = await setup()
    const { cache } = await instance()
    await cache.getOrSet('42', async () => pen())

    const first = (await cache.getOrSet('42', async () => pen())).value
    const second = (await cache.getOrSet('42', async () => pen())).value
    expect(second).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(Object.isFrozen(first?.dimensions.cm)).toBe(true)
    expect(() => {
      if (first) first.dimensions.cm[0] = 99
    }).toThrow(TypeError)
  })

  it('a delete on one instance drops the entry from every other L1 within 100 ms', async ({
    annotate,
  }) => {
    const { instance } = await setup()
    const [a, b, c] = [await instance(), await instance(), await instance()]
    const latencies: number[] = []

    for (let round = 1; round <= 10; round++) {
      const id = `p${round}`
      await a.cache.getOrSet(id, async () => pen())
      for (const other of [b, c]) {
        await other.cache.getOrSet(id, async () => pen()) // from Redis, into its L1
        await expect(other.cache.getOrSet(id, async () => pen())).resolves.toMatchObject({
          tier: 'l1',
        })
      }
      const key = a.cache.keyFor(id)
      const dropped = [b, c].map(({ bus, l1 }) => droppedAt(bus, l1, key))

      const sentAt = performance.now()
      await a.cache.delete(id)
      for (const at of await Promise.all(dropped)) latencies.push(at - sentAt)

      // The row changed with the delete: B loads the new one, C then finds it in Redis.
      await expect(b.cache.getOrSet(id, async () => pen('new'))).resolves.toMatchObject({
        value: pen('new'),
        status: 'miss',
      })
      await expect(c.cache.getOrSet(id, async () => pen('new'))).resolves.toMatchObject({
        value: pen('new'),
        tier: 'l2',
      })
    }

    const sorted = latencies.toSorted((x, y) => x - y)
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
    const max = sorted.at(-1) ?? Number.NaN
    // Reported, not asserted: a millisecond or two as a rule, but a loaded CI may stall a process
    // for longer than any tight bound. A drop that never comes still fails, at the test's timeout.
    await annotate(
      `L1 invalidation over the bus: median ${median.toFixed(2)} ms, max ${max.toFixed(2)} ms (${sorted.length} drops)`,
    )
  })

  it('empties L1 when the bus subscribes again after losing Redis (messages may be lost)', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    const redis = await connectClient(server.url, 200)
    const l1 = new MemoryTier()
    const bus = await startBus(redis, 'cache:bus')
    const cache = await startCache<Product>({ name: 'product', redis, l1, bus })
    await cache.getOrSet('42', async () => pen())
    const key = cache.keyFor('42')
    expect(l1.get(key)).toBeDefined()

    await server.kill()
    expect(l1.get(key)).toBeDefined() // Redis being down is no reason to drop L1 on its own
    await server.restart()

    await expect
      .poll(() => bus.connected && l1.get(key) === undefined, {
        ...POLL,
        timeout: 10_000,
        message: 'L1 is emptied',
      })
      .toBe(true)
  })

  it('a version bump on one instance reaches the others over the bus', async () => {
    const { instance } = await setup()
    const [a, b] = [await instance(), await instance()]
    await b.cache.getOrSet('42', async () => pen())

    const version = await a.cache.bumpVersion()

    await expect
      .poll(() => b.cache.version === version, {
        ...POLL,
        timeout: 1000,
        message: 'the bump arrives',
      })
      .toBe(true)
    await expect(b.cache.getOrSet('42', async () => pen('new'))).resolves.toMatchObject({
      value: pen('new'),
      status: 'miss',
    })
  })
})

/**
 * When the bus's message for `key` reached this instance, checked to have emptied its L1 by
 * then. The cache's own handler was registered first (in start()), so it has run.
 */
function droppedAt(bus: InvalidationBus, l1: MemoryTier, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no delete of ${key} arrived`)), 5000)
    const stop = bus.onMessage((message) => {
      if (message.op !== 'delete' || !message.keys.includes(key)) return
      const at = performance.now()
      clearTimeout(timer)
      stop()
      if (l1.get(key) === undefined) resolve(at)
      else reject(new Error(`${key} is still in L1 after its delete arrived`))
    })
  })
}
