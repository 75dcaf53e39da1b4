import { Cache } from '@caching-strategies/cache'
import { describe, expect, it, vi } from 'vitest'
import {
  adminClient,
  connectClient,
  countingLoader,
  isolatedPrefix,
  spyObserver,
} from '../../packages/cache/test/helpers.js'
import { CACHE_STRATEGIES, createCache } from '../../src/strategies/create-cache.js'
import { NaiveCache } from '../../src/strategies/naive-cache.js'
import { NoCache } from '../../src/strategies/no-cache.js'
import type { ReadThroughCache } from '../../src/strategies/read-through-cache.js'
import { startNaive } from './naive.js'

// The two other strategies behind the same interface: no cache at all, and the naive one.

describe('NoCache', () => {
  it('always loads, and answers a miss', async () => {
    const cache = new NoCache<string>('product')
    await cache.start()
    const loader = countingLoader(() => 'from db')

    for (let i = 0; i < 3; i++) {
      await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({
        value: 'from db',
        status: 'miss',
      })
    }
    expect(loader).toHaveBeenCalledTimes(3)
    await expect(cache.getOrSet('404', async () => undefined)).resolves.toMatchObject({
      value: undefined,
      status: 'miss',
    })
    await cache.close()
  })

  it('lets a loader error through, and invalidations are no-ops', async () => {
    const cache: ReadThroughCache<string> = new NoCache<string>('product')
    const failure = new Error('database down')
    await expect(cache.getOrSet('42', async () => Promise.reject(failure))).rejects.toBe(failure)
    await expect(cache.delete('42')).resolves.toBeUndefined()
    await expect(cache.deleteByTag(['x'])).resolves.toBeUndefined()
    await expect(cache.bumpVersion()).resolves.toBe(cache.version)
    expect(cache.name).toBe('product')
  })
})

describe('createCache', () => {
  it('builds the strategy it is asked for', async () => {
    const redis = await connectClient()
    const options = { name: 'product', redis }
    expect(CACHE_STRATEGIES).toEqual(['full', 'naive', 'none'])
    expect(createCache('full', options)).toBeInstanceOf(Cache)
    expect(createCache('naive', options)).toBeInstanceOf(NaiveCache)
    expect(createCache('none', options)).toBeInstanceOf(NoCache)
  })
})

describe('NaiveCache (plain cache-aside)', () => {
  async function setup() {
    const admin = adminClient()
    const keyPrefix = isolatedPrefix(admin)
    const observer = spyObserver()
    const cache = await startNaive<string>({
      name: 'product',
      redis: await connectClient(),
      keyPrefix,
      observer,
      ttlSeconds: 60,
    })
    return { admin, cache, observer, keyPrefix }
  }

  it('uses the same key layout and envelope as the full strategy', async () => {
    const { admin, cache, keyPrefix } = await setup()
    await cache.getOrSet('42', async () => 'pen')
    expect(cache.keyFor('42')).toBe(`${keyPrefix}product:v1:42`)
    expect(JSON.parse((await admin.get(cache.keyFor('42'))) ?? 'null')).toMatchObject({
      value: 'pen',
      storedAt: expect.any(Number),
      freshUntil: expect.any(Number),
    })
    const pttl = await admin.pttl(cache.keyFor('42'))
    expect(pttl).toBeGreaterThan(55_000)
    expect(pttl).toBeLessThanOrEqual(66_000) // no grace; up to 10% jitter
  })

  it('stores entries whatever the TTL in seconds, in whole milliseconds, with jitter', async () => {
    const admin = adminClient()
    const keyPrefix = isolatedPrefix(admin)
    const observer = spyObserver()
    const cache = await startNaive<string>({
      name: 'product',
      redis: await connectClient(),
      keyPrefix,
      observer,
      ttlSeconds: 10.0005, // 10000.499999999998 ms
      ttlJitter: 0.5,
    })
    const ids = Array.from({ length: 20 }, (_, i) => String(i))
    await Promise.all(ids.map((id) => cache.getOrSet(id, async () => 'pen')))

    expect(observer.error).not.toHaveBeenCalled()
    const pttls = await Promise.all(ids.map((id) => admin.pttl(cache.keyFor(id))))
    for (const pttl of pttls) {
      expect(pttl).toBeGreaterThan(9000)
      expect(pttl).toBeLessThanOrEqual(15_001)
    }
    expect(Math.max(...pttls) - Math.min(...pttls)).toBeGreaterThan(500)
  })

  it('misses, hits, and misses again after delete; never caches "no such thing"', async () => {
    const { cache, observer } = await setup()
    const loader = countingLoader(() => 'pen')
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ status: 'miss' })
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ status: 'hit', tier: 'l2' })
    await cache.delete('42')
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ status: 'miss' })
    expect(loader).toHaveBeenCalledTimes(2)

    const nothing = vi.fn(async () => undefined)
    await cache.getOrSet('404', nothing)
    await cache.getOrSet('404', nothing)
    expect(nothing).toHaveBeenCalledTimes(2)
    expect(observer.error).not.toHaveBeenCalled()
  })

  it('shares the key version with the full strategy', async () => {
    const { cache, keyPrefix } = await setup()
    const full = new Cache<string>({ name: 'product', redis: await connectClient(), keyPrefix })
    await full.start()
    const bumped = await full.bumpVersion()
    await full.close()
    await expect(cache.bumpVersion()).resolves.toBe(bumped + 1)
  })
})
