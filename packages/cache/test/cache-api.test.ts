import { describe, expect, it, onTestFinished } from 'vitest'
import { startRedisServer } from '../../../test/support/redis.js'
import { CacheError, CacheUnavailableError, LoaderTimeoutError, MemoryTier } from '../src/index.js'
import {
  adminClient,
  connectClient,
  countingLoader,
  deferred,
  isolatedPrefix,
  POLL,
  startBus,
  startCache,
} from './helpers.js'

// The calls a library user makes beyond getOrSet: get, set, per-call options, and the errors
// they can tell apart.

async function setup() {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const channel = `${keyPrefix}cache:bus`
  const instance = async (options: { tags?: (value: string) => readonly string[] } = {}) => {
    const redis = await connectClient()
    return startCache<string>({
      name: 'product',
      redis,
      keyPrefix,
      l1: new MemoryTier(),
      bus: await startBus(redis, channel),
      versionRefreshMs: 60_000, // only the bus may carry news
      ...options,
    })
  }
  return { admin, instance }
}

describe('Cache.get', () => {
  it('answers the fresh value from L1 or Redis and never loads', async () => {
    const { instance } = await setup()
    const [a, b] = [await instance(), await instance()]
    await expect(a.get('42')).resolves.toBeUndefined()

    await a.getOrSet('42', async () => 'pen')
    await expect(a.get('42')).resolves.toBe('pen') // L1
    await expect(b.get('42')).resolves.toBe('pen') // Redis

    await a.delete('42')
    await expect(a.get('42')).resolves.toBeUndefined()
  })

  it('answers undefined for an entry past its fresh period (getOrSet would refresh it)', async () => {
    const { instance } = await setup()
    const cache = await instance()
    await cache.getOrSet('42', async () => 'pen', { ttlSeconds: 0.05 })
    await expect
      .poll(async () => (await cache.get('42')) === undefined, {
        ...POLL,
        message: 'the entry goes stale',
      })
      .toBe(true)
    await expect(cache.getOrSet('42', async () => 'new pen')).resolves.toMatchObject({
      value: 'pen',
      status: 'stale',
    })
  })
})

describe('Cache.set', () => {
  it('stores the value in Redis and this L1, and the other instances drop their copies', async () => {
    const { admin, instance } = await setup()
    const [writer, reader] = [await instance(), await instance()]
    await reader.getOrSet('42', async () => 'old pen')

    await writer.set('42', 'new pen')

    const stored = JSON.parse((await admin.get(writer.keyFor('42'))) ?? 'null')
    expect(stored).toMatchObject({ value: 'new pen' })
    await expect(
      writer.getOrSet(
        '42',
        countingLoader(() => 'db'),
      ),
    ).resolves.toMatchObject({
      value: 'new pen',
      status: 'hit',
      tier: 'l1',
    })
    await expect
      .poll(async () => (await reader.get('42')) === 'new pen', {
        ...POLL,
        message: 'the reader sees the set',
      })
      .toBe(true)
  })

  it('fences a load under way: what it read before the write is never stored over the set', async () => {
    const { admin, instance } = await setup()
    const [loading, writer] = [await instance(), await instance()]
    const loaderStarted = deferred()
    const release = deferred<string>()
    const read = loading.getOrSet('42', async () => {
      loaderStarted.resolve()
      return release.promise
    })
    await loaderStarted.promise

    await writer.set('42', 'new pen')
    release.resolve('old pen') // the slow load read the row before the write
    await expect(read).resolves.toMatchObject({ value: 'old pen', status: 'miss' })

    const stored = JSON.parse((await admin.get(writer.keyFor('42'))) ?? 'null')
    expect(stored).toMatchObject({ value: 'new pen' })
    await expect(loading.get('42')).resolves.toBe('new pen')
  })
})

describe('per-call options', () => {
  it('override the TTL and add tags for one entry', async () => {
    const { admin, instance } = await setup()
    const cache = await instance({ tags: () => ['pens'] })
    await cache.getOrSet('1', async () => 'short', { ttlSeconds: 5, graceSeconds: 0 })
    await cache.getOrSet('2', async () => 'tagged', { tags: ['sale'] })

    const pttl = await admin.pttl(cache.keyFor('1'))
    expect(pttl).toBeGreaterThan(4000)
    expect(pttl).toBeLessThanOrEqual(5500) // 5 s, up to 10% jitter, no grace

    await cache.deleteByTag(['sale'])
    await expect(cache.get('2')).resolves.toBeUndefined()
    await expect(cache.get('1')).resolves.toBe('short')
    await cache.deleteByTag(['pens']) // the cache's own tags still apply
    await expect(cache.get('1')).resolves.toBeUndefined()
  })

  it('shorten the wait for a slow loader, and a bad one is a RangeError naming it', async () => {
    const { instance } = await setup()
    const cache = await instance()
    const never = new Promise<string>(() => {})
    const error = await cache
      .getOrSet('42', () => never, { loaderTimeoutMs: 50 })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(LoaderTimeoutError)
    expect(error).toBeInstanceOf(CacheError)
    expect(error).toMatchObject({ code: 'LOADER_TIMEOUT' })

    await expect(cache.getOrSet('1', async () => 'x', { ttlSeconds: -1 })).rejects.toThrow(
      /ttlSeconds must be a number > 0/,
    )
    await expect(
      cache.getOrSet('1', async () => 'x', { loaderTimeoutMs: 100, leaseWaitMs: 200 }),
    ).rejects.toThrow(RangeError)
  })
})

describe('errors a caller can tell apart', () => {
  it('a write Redis did not take is a CacheUnavailableError carrying Redis’s error', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    const cache = await startCache<string>({
      name: 'product',
      redis: await connectClient(server.url, 200),
      circuitBreaker: false,
    })
    await server.kill()

    for (const write of [
      () => cache.delete('42'),
      () => cache.set('42', 'pen'),
      () => cache.deleteByTag(['pens']),
      () => cache.bumpVersion(),
    ]) {
      const error = await write().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(CacheUnavailableError)
      expect(error).toMatchObject({ code: 'REDIS_UNAVAILABLE', cause: expect.any(Error) })
    }
    // A read never throws for Redis: it loads.
    await expect(cache.getOrSet('42', async () => 'pen')).resolves.toMatchObject({ value: 'pen' })
  })

  it('a loader’s own error reaches the caller as thrown', async () => {
    const { instance } = await setup()
    const cache = await instance()
    const failure = new Error('database down')
    await expect(cache.getOrSet('42', async () => Promise.reject(failure))).rejects.toBe(failure)
  })
})
