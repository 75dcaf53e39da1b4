import { createRedisClient } from '@caching-strategies/cache'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { ReadCounter } from '../../src/catalog/read-counter.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { type RedisServer, startRedisServer } from '../support/redis.js'

const KEY = 'reads:product'

/** How long to wait for a Redis (back) up or a flush of the counts, and how often to look. */
const POLL = { timeout: 5000, interval: 25 }

/** How many ZINCRBY commands this Redis has run (it is the test's own, so exact). */
async function zincrbyCalls(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats')
  return Number(/^cmdstat_zincrby:calls=(\d+)/m.exec(stats)?.[1] ?? 0)
}

describe('ReadCounter against a Redis of its own', () => {
  let server: RedisServer
  let redis: Redis
  let counter: ReadCounter
  let dropped: unknown[]
  const open = (options: { flushIntervalMs?: number; maxIds?: number } = {}) => {
    dropped = []
    counter = new ReadCounter({
      redis,
      key: KEY,
      flushIntervalMs: 60_000, // flushed by hand unless a test says otherwise
      onDroppedFlush: (error) => dropped.push(error),
      ...options,
    })
  }

  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(() => server.stop())
  beforeEach(async () => {
    // Generous: a loaded machine must not time out a flush; an outage still fails at once.
    redis = createRedisClient(server.url, { commandTimeoutMs: 1000 })
    await vi.waitFor(async () => expect(await redis.ping()).toBe('PONG'), POLL)
    await redis.flushall()
    await redis.config('RESETSTAT')
  })
  afterEach(async () => {
    await counter.close()
    redis.disconnect()
  })

  it('counts in memory and sends one ZINCRBY per id in one flush', async () => {
    open()
    for (let i = 0; i < 5; i++) counter.record(1)
    for (let i = 0; i < 3; i++) counter.record(2)
    counter.record(3)
    expect(await redis.exists(KEY)).toBe(0) // nothing sent per read

    await counter.flush()
    expect(dropped).toEqual([])
    expect(await redis.zscore(KEY, '1')).toBe('5')
    expect(await redis.zscore(KEY, '2')).toBe('3')
    expect(await redis.zscore(KEY, '3')).toBe('1')
    expect(await zincrbyCalls(redis)).toBe(3)
    expect(await counter.top(2)).toEqual([1, 2])

    await counter.flush() // nothing new: nothing sent
    expect(await zincrbyCalls(redis)).toBe(3)
  })

  it('flushes on its own every interval, and what is left on close', async () => {
    open({ flushIntervalMs: 20 })
    counter.record(7)
    await vi.waitFor(async () => expect(await redis.zscore(KEY, '7')).toBe('1'), POLL)

    open() // a long interval: only close() can send this one
    counter.record(8)
    await counter.close()
    expect(await redis.zscore(KEY, '8')).toBe('1')
  })

  it('drops a batch Redis cannot take, without throwing, and carries on when it is back', async () => {
    open()
    await server.stop()
    counter.record(1)
    counter.record(1)
    await expect(counter.flush()).resolves.toBeUndefined()
    expect(dropped).toHaveLength(1)

    await server.restart()
    await vi.waitFor(async () => expect(await redis.ping()).toBe('PONG'), POLL)
    counter.record(1)
    await counter.flush()
    expect(await redis.zscore(KEY, '1')).toBe('1') // the dropped batch was not retried
    expect(dropped).toHaveLength(1)
  })

  it('keeps the set to the most-read ids', async () => {
    open({ maxIds: 2 })
    for (const [id, reads] of [
      [1, 1],
      [2, 5],
      [3, 2],
      [4, 9],
    ] as const) {
      for (let i = 0; i < reads; i++) counter.record(id)
    }
    await counter.flush()
    expect(await redis.zcard(KEY)).toBe(4) // trimmed now and then, not on every flush
    for (let flushes = 1; (await redis.zcard(KEY)) > 2; flushes++) {
      expect(flushes).toBeLessThan(100)
      counter.record(4)
      await counter.flush()
    }
    expect(await counter.top(10)).toEqual([4, 2])
  })

  it('ages every count at once, so what is read lately outranks what was read long ago', async () => {
    open()
    for (let i = 0; i < 8; i++) counter.record(1) // popular last week
    await counter.flush()
    await counter.age(0.5)
    await counter.age(0.5)
    expect(await redis.zscore(KEY, '1')).toBe('2')

    for (let i = 0; i < 3; i++) counter.record(2) // popular now
    await counter.flush()
    expect(await counter.top(2)).toEqual([2, 1])
    await expect(counter.age(0)).rejects.toThrow(RangeError)
  })
})

describe('reads through the API', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ REDIS_COMMAND_TIMEOUT_MS: '1000' }) // no timeouts on a loaded machine
  })
  afterAll(() => t.close())

  it('are counted per product in the app’s sorted set, for products that exist only', async () => {
    const read = (id: number) => t.app.inject({ method: 'GET', url: `/products/${id}` })
    for (let i = 0; i < 3; i++) expect((await read(4)).statusCode).toBe(200) // MISS, then L1 hits
    expect((await read(5)).statusCode).toBe(200)
    expect((await read(999_999)).statusCode).toBe(404)

    const key = `${t.config.REDIS_KEY_PREFIX}reads:product`
    const { redis } = t.dependencies
    await vi.waitFor(async () => {
      expect(await redis.zscore(key, '4')).toBe('3')
      expect(await redis.zscore(key, '5')).toBe('1')
    }, POLL)
    expect(await redis.zscore(key, '999999')).toBeNull()
  })
})
