import { describe, expect, it } from 'vitest'
import { Cache } from '../../src/cache/index.js'
import {
  adminClient,
  connectClient,
  countingLoader,
  isolatedPrefix,
  spyObserver,
  startCache,
  waitUntil,
} from './helpers.js'

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

async function setup(options: { ttlSeconds?: number; ttlJitter?: number } = {}) {
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

describe('Cache (cache-aside)', () => {
  it('keys entries as <prefix><name>:v<version>:<id>', async () => {
    const cache = new Cache({ name: 'product', redis: await connectClient() })
    expect(cache.keyFor('42')).toBe('product:v1:42')
  })

  it('misses, then hits, then misses again after delete', async () => {
    const { cache, observer } = await setup()
    const loader = countingLoader(() => pen)

    await expect(cache.getOrSet('42', loader)).resolves.toEqual({ value: pen, status: 'miss' })
    await expect(cache.getOrSet('42', loader)).resolves.toEqual({
      value: pen,
      status: 'hit',
      tier: 'l2',
    })
    expect(loader).toHaveBeenCalledTimes(1)

    await cache.delete('42')
    await expect(cache.getOrSet('42', loader)).resolves.toEqual({ value: pen, status: 'miss' })
    expect(loader).toHaveBeenCalledTimes(2)

    expect(observer.miss).toHaveBeenCalledTimes(2)
    expect(observer.load).toHaveBeenCalledTimes(2)
    expect(observer.hit).toHaveBeenCalledExactlyOnceWith('product', 'l2')
    expect(observer.load).toHaveBeenCalledWith('product')
    expect(observer.error).not.toHaveBeenCalled()
  })

  it('stores a readable envelope under the versioned key', async () => {
    const { admin, cache } = await setup()
    const before = Date.now()
    await cache.getOrSet('42', async () => pen)

    const stored = JSON.parse((await admin.get(cache.keyFor('42'))) ?? 'null')
    expect(stored.value).toEqual(pen)
    expect(stored.storedAt).toBeGreaterThanOrEqual(before)
  })

  it('get answers without a loader; set writes through; set(undefined) removes', async () => {
    const { admin, cache, observer } = await setup()
    await expect(cache.get('42')).resolves.toEqual({ value: undefined, status: 'miss' })

    await cache.set('42', pen)
    await expect(cache.get('42')).resolves.toEqual({ value: pen, status: 'hit', tier: 'l2' })
    expect(observer.load).not.toHaveBeenCalled()

    await cache.set('42', undefined as unknown as Product)
    expect(await admin.exists(cache.keyFor('42'))).toBe(0)
  })

  it('does not store undefined from the loader', async () => {
    const { admin, cache } = await setup()
    const loader = countingLoader(() => undefined)

    await expect(cache.getOrSet('404', loader)).resolves.toEqual({
      value: undefined,
      status: 'miss',
    })
    await expect(cache.getOrSet('404', loader)).resolves.toEqual({
      value: undefined,
      status: 'miss',
    })

    expect(loader).toHaveBeenCalledTimes(2)
    expect(await admin.exists(cache.keyFor('404'))).toBe(0)
  })

  it('lets a loader error through unchanged and stores nothing', async () => {
    const { admin, cache, observer } = await setup()
    const failure = new Error('database down')

    await expect(cache.getOrSet('42', async () => Promise.reject(failure))).rejects.toBe(failure)
    expect(await admin.exists(cache.keyFor('42'))).toBe(0)
    expect(observer.error).not.toHaveBeenCalled()
  })

  it.each([
    ['not JSON (typed in redis-cli)', 'pen'],
    ['JSON of the wrong shape', '{"name":"pen"}'],
    ['an envelope whose value fails validate', '{"value":{"id":"42"},"storedAt":1}'],
  ])('treats an entry that is %s as a miss and overwrites it', async (_case, raw) => {
    const { admin, cache, observer } = await setup()
    await admin.set(cache.keyFor('42'), raw)

    await expect(cache.getOrSet('42', async () => pen)).resolves.toEqual({
      value: pen,
      status: 'miss',
    })
    await expect(cache.getOrSet('42', async () => pen)).resolves.toMatchObject({ status: 'hit' })
    expect(JSON.parse((await admin.get(cache.keyFor('42'))) ?? 'null').value).toEqual(pen)
    expect(observer.error).not.toHaveBeenCalled()
  })

  it('expires entries after the TTL plus at most the jitter', async () => {
    const { admin, cache } = await setup({ ttlSeconds: 1, ttlJitter: 0.1 })
    const loader = countingLoader(() => pen)
    await cache.getOrSet('42', loader)

    const pttl = await admin.pttl(cache.keyFor('42'))
    expect(pttl).toBeGreaterThan(800) // 1000 ms minus the time since the write
    expect(pttl).toBeLessThanOrEqual(1100)

    await waitUntil(async () => (await admin.exists(cache.keyFor('42'))) === 0, 'the entry expires')
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ status: 'miss' })
    expect(loader).toHaveBeenCalledTimes(2)
  })

  it('takes a per-call TTL', async () => {
    const { admin, cache } = await setup({ ttlSeconds: 300, ttlJitter: 0 })
    await cache.getOrSet('42', async () => pen, { ttlSeconds: 2 })
    const pttl = await admin.pttl(cache.keyFor('42'))
    expect(pttl).toBeGreaterThan(1000)
    expect(pttl).toBeLessThanOrEqual(2000)
  })
})
