import { describe, expect, it, onTestFinished } from 'vitest'
import { Cache } from '../../src/cache/index.js'
import { createRedisClient } from '../../src/cache/redis/client.js'
import { startRedisServer } from '../support/redis.js'
import {
  adminClient,
  connectClient,
  countingLoader,
  spyObserver,
  startCache,
  waitUntil,
} from './helpers.js'

// Each test crashes or hangs a redis-server of its own; the shared one is never touched.
async function setup(options: { commandTimeoutMs?: number } = {}) {
  const server = await startRedisServer()
  onTestFinished(() => server.stop())
  const redis = await connectClient(server.url, options.commandTimeoutMs ?? 200)
  const observer = spyObserver()
  const cache = await startCache<string>({ name: 'product', redis, observer })
  return { server, redis, observer, cache }
}

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now()
  const result = await work
  return { result, ms: performance.now() - started }
}

describe('Cache when Redis fails', () => {
  it('falls through to the loader at once while Redis is down, and recovers by itself', async () => {
    const { server, observer, cache } = await setup()
    await server.kill()

    const { result, ms } = await timed(cache.getOrSet('42', async () => 'from db'))

    expect(result).toEqual({ value: 'from db', status: 'miss' })
    expect(ms).toBeLessThan(1000) // typically ~1 ms: no offline queue
    expect(observer.error).toHaveBeenCalledWith('product', 'get', expect.any(Error))

    await server.restart()
    const loader = countingLoader(() => 'from db')
    await waitUntil(
      async () => (await cache.getOrSet('42', loader)).status === 'hit',
      'a fill and then a hit work again on the same client',
    )
  })

  it('answers within the command timeout when Redis hangs', async () => {
    const { server, observer, cache } = await setup({ commandTimeoutMs: 100 })
    await adminClient(server.url).client('PAUSE', 2000, 'ALL')

    const { result, ms } = await timed(cache.getOrSet('42', async () => 'from db'))

    expect(result).toEqual({ value: 'from db', status: 'miss' })
    expect(ms).toBeLessThan(1000)
    expect(observer.error).toHaveBeenCalledWith(
      'product',
      'get',
      expect.objectContaining({ message: 'Command timed out' }),
    )
    // The read just timed out, so no fill was tried: that would have cost a second timeout.
    expect(observer.error).not.toHaveBeenCalledWith('product', 'set', expect.anything())
  })

  it('reports a failed fill without throwing it', async () => {
    const { server, observer, cache } = await setup({ commandTimeoutMs: 100 })
    // Reads still work; writes hang, so the fill times out.
    await adminClient(server.url).client('PAUSE', 2000, 'WRITE')

    await expect(cache.getOrSet('42', async () => 'from db')).resolves.toEqual({
      value: 'from db',
      status: 'miss',
    })
    expect(observer.error).toHaveBeenCalledExactlyOnceWith('product', 'set', expect.any(Error))
  })

  it('rejects an invalidation Redis did not take, so the caller can retry it', async () => {
    const { server, observer, cache } = await setup()
    await server.kill()

    await expect(cache.delete('42')).rejects.toThrow()
    await expect(cache.bumpVersion()).rejects.toThrow()
    await expect(cache.set('42', 'x')).rejects.toThrow()
    expect(observer.error).toHaveBeenCalledWith('product', 'delete', expect.any(Error))
    expect(observer.error).toHaveBeenCalledWith('product', 'version', expect.any(Error))
    expect(observer.error).toHaveBeenCalledWith('product', 'set', expect.any(Error))
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
    await expect(cache.getOrSet('42', async () => 'from db')).resolves.toEqual({
      value: 'from db',
      status: 'miss',
    })

    await server.restart()
    const admin = adminClient(server.url)
    await waitUntil(
      async () => (await admin.get('product:version')) === '3',
      'the version key exists',
    )
    const loader = countingLoader(() => 'from db')
    await waitUntil(async () => (await cache.getOrSet('42', loader)).status === 'hit', 'it hits')
  })

  it('neither reads nor invalidates under a version Redis has not confirmed', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    const admin = adminClient(server.url)
    // Another instance has moved on to v5; a v1 entry from before is still there.
    await admin.set('product:version', '5')
    await admin.set('product:v1:42', JSON.stringify({ value: 'stale', storedAt: 1 }))
    await admin.set('product:v5:42', JSON.stringify({ value: 'current', storedAt: 2 }))
    const redis = await connectClient(server.url, 100)
    const cache = new Cache<string>({ name: 'product', redis, versionRefreshMs: 60_000 })
    onTestFinished(() => cache.close())

    await admin.client('PAUSE', 300, 'ALL') // the start-up read of the version times out
    await cache.start()
    await admin.ping() // answered once the pause is over
    expect(cache.version).toBe(1)

    await expect(cache.getOrSet('42', async () => 'from db')).resolves.toEqual({
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
    await waitUntil(
      async () => (await admin.get('product:version')) === '3',
      'the version key is back at 3',
    )
    expect(cache.version).toBe(3)
    const loader = countingLoader(() => 'from db')
    await waitUntil(async () => (await cache.getOrSet('42', loader)).status === 'hit', 'it hits')
    expect(await admin.exists('product:v3:42')).toBe(1)
  })
})
