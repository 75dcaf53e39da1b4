import { describe, expect, it } from 'vitest'
import { Cache } from '../src/index.js'
import type { CacheOptions } from '../src/types.js'
import {
  adminClient,
  connectClient,
  countingLoader,
  entryOf,
  isolatedPrefix,
  POLL,
  spyObserver,
  startCache,
} from './helpers.js'

// The read-through basics of the full strategy, Redis only (no L1): key layout, the stored
// envelope, TTLs, and what happens to entries it cannot use.

interface Product {
  id: number
  name: string
}

const isProduct = (value: unknown): value is Product =>
  typeof value === 'object' &&
  value !== null &&
  'id' in value &&
  typeof value.id === 'number' &&
  'name' in value &&
  typeof value.name === 'string'

async function setup(options: Partial<CacheOptions<Product>> = {}) {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const observer = spyObserver()
  const cache = await startCache<Product>({
    name: 'product',
    redis: await connectClient(),
    keyPrefix,
    validate: isProduct,
    observer,
    ...options,
  })
  return { admin, cache, observer, keyPrefix }
}

const pen: Product = { id: 42, name: 'pen' }

describe('Cache (read-through over Redis)', () => {
  it('keys entries as <prefix><name>:v<version>:<id>', async () => {
    const redis = await connectClient()
    expect(new Cache({ name: 'product', redis }).keyFor('42')).toBe('product:v1:42')
    expect(new Cache({ name: 'product', redis, keyPrefix: 'app:' }).keyFor('42')).toBe(
      'app:product:v1:42',
    )

    const { admin, cache, keyPrefix } = await setup({ initialVersion: 3 })
    await cache.getOrSet('42', async () => pen)
    expect(cache.keyFor('42')).toBe(`${keyPrefix}product:v3:42`)
    expect(await admin.exists(`${keyPrefix}product:v3:42`)).toBe(1)
  })

  it('misses, then hits, then misses again after delete', async () => {
    const { cache, observer } = await setup()
    const loader = countingLoader(() => pen)

    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({
      value: pen,
      status: 'miss',
    })
    const hit = await cache.getOrSet('42', loader)
    expect(hit).toMatchObject({ value: pen, status: 'hit', tier: 'l2' })
    expect(loader).toHaveBeenCalledTimes(1)

    await cache.delete('42')
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({
      value: pen,
      status: 'miss',
    })
    expect(loader).toHaveBeenCalledTimes(2)

    expect(observer.miss).toHaveBeenCalledTimes(2)
    expect(observer.load).toHaveBeenCalledTimes(2)
    expect(observer.load).toHaveBeenCalledWith('product')
    expect(observer.hit).toHaveBeenCalledExactlyOnceWith('product', 'l2')
    expect(observer.error).not.toHaveBeenCalled()
    expect(observer.fenced).not.toHaveBeenCalled()
  })

  it('answers until when the value is fresh', async () => {
    const { cache } = await setup({ ttlSeconds: 60 })
    const before = Date.now()
    const miss = await cache.getOrSet('42', async () => pen)
    const after = Date.now()
    expect(miss.freshUntil).toBeGreaterThanOrEqual(before + 60_000)
    expect(miss.freshUntil).toBeLessThanOrEqual(after + 60_000)
    await expect(cache.getOrSet('42', async () => pen)).resolves.toMatchObject({
      status: 'hit',
      freshUntil: miss.freshUntil,
    })
  })

  it('stores a readable envelope: value, storedAt, freshUntil and how long the load took', async () => {
    const { admin, cache } = await setup({ ttlSeconds: 60 })
    const before = Date.now()
    await cache.getOrSet('42', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30))
      return pen
    })

    const stored = JSON.parse((await admin.get(cache.keyFor('42'))) ?? 'null')
    expect(stored).toEqual({
      value: pen,
      storedAt: expect.any(Number),
      freshUntil: stored.storedAt + 60_000,
      loadMs: expect.any(Number),
    })
    expect(stored.storedAt).toBeGreaterThanOrEqual(before)
    expect(stored.loadMs).toBeGreaterThanOrEqual(25) // timers may fire a little early
  })

  it('lets a loader error through unchanged and stores nothing', async () => {
    const { admin, cache, observer } = await setup()
    const failure = new Error('database down')

    await expect(cache.getOrSet('42', async () => Promise.reject(failure))).rejects.toBe(failure)
    expect(await admin.exists(cache.keyFor('42'))).toBe(0)
    expect(observer.error).not.toHaveBeenCalled()
  })

  it.each([
    ['not JSON (typed in redis-cli)', () => 'pen'],
    ['JSON of the wrong shape', () => '{"name":"pen"}'],
    ['an entry in the old format', () => '{"value":{"id":42,"name":"pen"},"storedAt":1}'],
    ['an entry whose value fails validate', () => JSON.stringify(entryOf({ id: '42' }))],
  ])('treats an entry that is %s as a miss and overwrites it', async (_case, raw) => {
    const { admin, cache, observer } = await setup()
    await admin.set(cache.keyFor('42'), raw())
    const loader = countingLoader(() => pen)

    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({
      value: pen,
      status: 'miss',
    })
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ value: pen, status: 'hit' })
    expect(loader).toHaveBeenCalledTimes(1)
    expect(JSON.parse((await admin.get(cache.keyFor('42'))) ?? 'null').value).toEqual(pen)
    expect(observer.error).not.toHaveBeenCalled()
  })

  it('keeps an entry in Redis for its fresh period plus grace, plus at most the jitter', async () => {
    const { admin, cache } = await setup({ ttlSeconds: 10, graceSeconds: 20, ttlJitter: 0.1 })
    const before = Date.now()
    await cache.getOrSet('42', async () => pen)
    const pttl = await admin.pttl(cache.keyFor('42'))
    const elapsed = Date.now() - before

    expect(pttl).toBeGreaterThanOrEqual(30_000 - elapsed - 1)
    expect(pttl).toBeLessThanOrEqual(33_000)
  })

  it('spreads the expiry of entries filled together (TTL jitter)', async () => {
    const { admin, cache } = await setup({ ttlSeconds: 10, graceSeconds: 0, ttlJitter: 0.5 })
    const ids = Array.from({ length: 20 }, (_, i) => String(i))
    await Promise.all(ids.map((id) => cache.getOrSet(id, async () => pen)))
    const pttls = await Promise.all(ids.map((id) => admin.pttl(cache.keyFor(id))))

    for (const pttl of pttls) {
      expect(pttl).toBeGreaterThan(9000)
      expect(pttl).toBeLessThanOrEqual(15_000)
    }
    // 20 draws over a 5 s window: all within 0.5 s of each other has a chance of about 1e-18.
    expect(Math.max(...pttls) - Math.min(...pttls)).toBeGreaterThan(500)
  })

  it('without jitter, expires entries once their fresh period and grace are over', async () => {
    const { admin, cache } = await setup({ ttlSeconds: 0.2, graceSeconds: 0.2, ttlJitter: 0 })
    const loader = countingLoader(() => pen)
    await cache.getOrSet('42', loader)
    expect(await admin.pttl(cache.keyFor('42'))).toBeLessThanOrEqual(400)

    await expect
      .poll(async () => (await admin.exists(cache.keyFor('42'))) === 0, {
        ...POLL,
        message: 'the entry expires',
      })
      .toBe(true)
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ status: 'miss' })
    expect(loader).toHaveBeenCalledTimes(2)
  })
})
