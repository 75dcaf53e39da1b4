import { describe, expect, it, onTestFinished } from 'vitest'
import { startRedisServer } from '../../../test/support/redis.js'
import { Cache } from '../src/index.js'
import { createRedisClient } from '../src/redis/client.js'
import type { CacheOperation, CacheOptions } from '../src/types.js'
import {
  adminClient,
  connectClient,
  countingLoader,
  entryOf,
  POLL,
  spyObserver,
  startCache,
} from './helpers.js'

// Each test crashes or hangs a redis-server of its own; the shared one is never touched.
async function setup(options: { commandTimeoutMs?: number } & Partial<CacheOptions<string>> = {}) {
  const { commandTimeoutMs = 200, ...cacheOptions } = options
  const server = await startRedisServer()
  onTestFinished(() => server.stop())
  const redis = await connectClient(server.url, commandTimeoutMs)
  const observer = spyObserver()
  const cache = await startCache<string>({ name: 'product', redis, observer, ...cacheOptions })
  return { server, redis, observer, cache }
}

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now()
  const result = await work
  return { result, ms: performance.now() - started }
}

const operationsReported = (observer: ReturnType<typeof spyObserver>): CacheOperation[] =>
  observer.error.mock.calls.map(([, operation]) => operation)

describe('Cache when Redis fails', () => {
  it('falls through to the loader at once while Redis is down, and recovers by itself', async () => {
    const { server, observer, cache } = await setup()
    await server.kill()

    const { result, ms } = await timed(cache.getOrSet('42', async () => 'from db'))

    expect(result).toMatchObject({ value: 'from db', status: 'miss' })
    expect(ms).toBeLessThan(1000) // typically ~1 ms: no offline queue
    expect(observer.error).toHaveBeenCalledWith('product', 'get', expect.any(Error))

    await server.restart()
    const loader = countingLoader(() => 'from db')
    await expect
      .poll(async () => (await cache.getOrSet('42', loader)).status === 'hit', {
        ...POLL,
        timeout: 10_000,
        message: 'a fill and then a hit work again on the same client',
      })
      .toBe(true)
  })

  it('answers within the command timeouts when Redis hangs, and tries no fill', async () => {
    const { server, observer, cache } = await setup({ commandTimeoutMs: 100 })
    await adminClient(server.url).client('PAUSE', 2000, 'ALL')

    const { result, ms } = await timed(cache.getOrSet('42', async () => 'from db'))

    expect(result).toMatchObject({ value: 'from db', status: 'miss' })
    expect(ms).toBeLessThan(1000) // the read and the lease: two command timeouts
    expect(observer.error).toHaveBeenCalledWith(
      'product',
      'get',
      expect.objectContaining({ message: 'Command timed out' }),
    )
    // No lease, no fence: a fill would be unsafe, and would cost another timeout.
    expect(operationsReported(observer)).not.toContain('set')
  })

  it('reports a failed fill without throwing it', async () => {
    const { server, observer, cache } = await setup({
      commandTimeoutMs: 100,
      versionRefreshMs: 60_000, // no version sync (a write script) during the pause
    })
    const admin = adminClient(server.url)
    // Reads, the lease included, work; the database is slow to answer, and meanwhile Redis
    // stops taking writes, so the fill times out.
    const loader = async () => {
      await admin.client('PAUSE', 2000, 'WRITE')
      return 'from db'
    }

    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({
      value: 'from db',
      status: 'miss',
    })
    expect(operationsReported(observer)).toEqual(['set'])
    expect(observer.fenced).not.toHaveBeenCalled()
  })

  it('rejects an invalidation Redis did not take, so the caller can retry it', async () => {
    const { server, observer, cache } = await setup()
    await server.kill()

    await expect(cache.delete('42')).rejects.toThrow()
    await expect(cache.bumpVersion()).rejects.toThrow()
    await expect(cache.deleteByTag(['pens'])).rejects.toThrow()
    expect(observer.error).toHaveBeenCalledWith('product', 'delete', expect.any(Error))
    expect(observer.error).toHaveBeenCalledWith('product', 'version', expect.any(Error))
    expect(observer.error).toHaveBeenCalledWith('product', 'tags', expect.any(Error))
  })

  it('starts while Redis is down, then catches up when it comes back', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    await server.kill()
    const redis = createRedisClient(server.url, { commandTimeoutMs: 200 })
    onTestFinished(() => redis.disconnect())
    const observer = spyObserver()
    const cache = new Cache<string>({ name: 'product', redis, observer, initialVersion: 3 })
    onTestFinished(() => cache.close())

    await expect(cache.start()).resolves.toBeUndefined()
    expect(cache.version).toBe(3)
    expect(observer.error).toHaveBeenCalledWith('product', 'version', expect.any(Error))
    await expect(cache.getOrSet('42', async () => 'from db')).resolves.toMatchObject({
      value: 'from db',
      status: 'miss',
    })

    await server.restart()
    const admin = adminClient(server.url)
    await expect
      .poll(async () => (await admin.get('product:version')) === '3', {
        ...POLL,
        timeout: 10_000,
        message: 'the version key exists',
      })
      .toBe(true)
    const loader = countingLoader(() => 'from db')
    await expect
      .poll(async () => (await cache.getOrSet('42', loader)).status === 'hit', {
        ...POLL,
        timeout: 10_000,
        message: 'it hits',
      })
      .toBe(true)
  })

  it('neither reads nor invalidates under a version Redis has not confirmed', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    const admin = adminClient(server.url)
    // Another instance has moved on to v5; a v1 entry from before is still there.
    await admin.set('product:version', '5')
    await admin.set('product:v1:42', JSON.stringify(entryOf('stale')))
    await admin.set('product:v5:42', JSON.stringify(entryOf('current')))
    const redis = await connectClient(server.url, 100)
    const cache = new Cache<string>({ name: 'product', redis, versionRefreshMs: 60_000 })
    onTestFinished(() => cache.close())

    await admin.client('PAUSE', 300, 'ALL') // the start-up read of the version times out
    await cache.start()
    await admin.ping() // answered once the pause is over
    expect(cache.version).toBe(1)

    await expect(cache.getOrSet('42', async () => 'from db')).resolves.toMatchObject({
      value: 'from db',
      status: 'miss',
    })
    await cache.delete('42')
    expect(await admin.exists('product:v5:42')).toBe(0)
    expect(cache.version).toBe(5)
  })

  it('re-creates the version key after Redis restarts empty, without going back to 1', async () => {
    const { server, cache } = await setup()
    await cache.bumpVersion()
    await cache.bumpVersion()

    await server.kill()
    await server.restart()

    const admin = adminClient(server.url)
    await expect
      .poll(async () => (await admin.get('product:version')) === '3', {
        ...POLL,
        timeout: 10_000,
        message: 'the version key is back at 3',
      })
      .toBe(true)
    expect(cache.version).toBe(3)
    const loader = countingLoader(() => 'from db')
    await expect
      .poll(async () => (await cache.getOrSet('42', loader)).status === 'hit', {
        ...POLL,
        timeout: 10_000,
        message: 'it hits',
      })
      .toBe(true)
    expect(await admin.exists('product:v3:42')).toBe(1)
  })
})
