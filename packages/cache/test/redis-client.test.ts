import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { REDIS_URL, type RedisServer, startRedisServer } from '../../../test/support/redis.js'
import { createRedisClient, reconnectDelayMs } from '../src/redis/client.js'
import { whenReady } from '../src/redis/when-ready.js'
import { adminClient, connectClient, POLL } from './helpers.js'

// What the cache relies on from ioredis, checked against real redis-servers of the test's own.
async function ownServer(): Promise<RedisServer> {
  const server = await startRedisServer()
  onTestFinished(() => server.stop())
  return server
}

async function elapsed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now()
  const result = await work
  return { result, ms: performance.now() - started }
}

describe('createRedisClient', () => {
  it('backs off exponentially up to 1 s and never gives up', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(reconnectDelayMs)).toEqual([
      50, 100, 200, 400, 800, 1000, 1000, 1000,
    ])
  })

  it('fails a command sent before the first connect at once (no offline queue)', async () => {
    const redis = createRedisClient(REDIS_URL, { commandTimeoutMs: 1000 })
    onTestFinished(() => redis.disconnect())

    await expect(redis.get('any')).rejects.toThrow(/enableOfflineQueue/)
    // …which is why Cache.start() waits for 'ready' before reading the version.
    expect(await whenReady(redis, 5000)).toBe(true)
    await expect(redis.ping()).resolves.toBe('PONG')
  })

  it('times a command out after commandTimeoutMs when Redis hangs', async () => {
    const server = await ownServer()
    const redis = await connectClient(server.url, 100)
    await adminClient(server.url).client('PAUSE', 1500, 'ALL')

    const { result, ms } = await elapsed(redis.get('any').catch((error: unknown) => error))

    expect(result).toBeInstanceOf(Error)
    expect(String(result)).toMatch(/Command timed out/)
    expect(ms).toBeLessThan(1000)
  })

  it('fails a command in flight as soon as the connection drops, not at its timeout', async () => {
    const server = await ownServer()
    const redis = await connectClient(server.url, 10_000)
    await adminClient(server.url).client('PAUSE', 10_000, 'ALL')
    const inFlight = elapsed(redis.get('any').catch((error: unknown) => error))

    await server.kill()
    const { result, ms } = await inFlight

    expect(String(result)).toMatch(/max retries per request/i)
    expect(ms).toBeLessThan(5000)
  })

  it('never replays a command it gave up on after reconnecting', async () => {
    // Control: with ioredis defaults the timed-out SET is sent again after the reconnect.
    expect(
      await keyAfterTimedOutSetAndRestart((url) => new Redis(url, { commandTimeout: 100 })),
    ).toBe('stale')
    expect(
      await keyAfterTimedOutSetAndRestart((url) =>
        createRedisClient(url, { commandTimeoutMs: 100 }),
      ),
    ).toBeNull()
  })

  it('fails at once while Redis is down, reconnects by itself, and works again', async () => {
    const server = await ownServer()
    const redis = await connectClient(server.url, 500)
    expect(redis.listenerCount('error')).toBeGreaterThan(0) // a down Redis must not crash the process

    await server.kill()
    const { result, ms } = await elapsed(redis.get('any').catch((error: unknown) => error))
    expect(result).toBeInstanceOf(Error)
    expect(ms).toBeLessThan(1000)

    await server.restart()
    await expect
      .poll(() => redis.status === 'ready', { ...POLL, message: 'the same client reconnects' })
      .toBe(true)
    await expect(redis.set('back', '1')).resolves.toBe('OK')
  })
})

/** SET under a write pause (so it times out), crash and restart Redis empty, then read the key. */
async function keyAfterTimedOutSetAndRestart(
  client: (url: string) => Redis,
): Promise<string | null> {
  const server = await ownServer()
  const redis = client(server.url)
  redis.on('error', () => {})
  onTestFinished(() => redis.disconnect())
  await whenReady(redis, 5000)
  await adminClient(server.url).client('PAUSE', 10_000, 'WRITE')

  await expect(redis.set('k', 'stale')).rejects.toThrow(/Command timed out/)
  await server.kill()
  await server.restart()
  await expect
    .poll(() => redis.status === 'ready', { ...POLL, message: 'the client reconnects' })
    .toBe(true)
  // Anything replayed was written right after 'ready'; a round trip on the same connection follows it.
  await redis.ping()
  return adminClient(server.url).get('k')
}
