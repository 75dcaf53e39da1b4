import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { type RedisServer, startRedisServer } from '../support/redis.js'

/** How long to wait for Redis to be used again, and how often to look. */
const POLL = { timeout: 10_000, interval: 50 }

describe('Redis goes away and comes back', () => {
  let redis: RedisServer
  let t: TestApp
  beforeAll(async () => {
    redis = await startRedisServer()
    t = await startTestApp({ REDIS_URL: redis.url })
  })
  afterAll(async () => {
    await t?.close().catch(() => undefined) // its Redis may be gone: nothing to clean there
    await redis?.stop()
  })

  const read = (id: number) => t.app.inject({ method: 'GET', url: `/products/${id}` })

  it('serves from L1 and the database while Redis is down, quickly, never a 5xx', async () => {
    await read(1)
    expect((await read(1)).headers['x-cache-tier']).toBe('l1')

    await redis.kill()
    for (let i = 0; i < 30; i++) {
      const id = 1 + (i % 6) // 1 is in L1; 2..6 must come from the database
      const started = performance.now()
      const response = await read(id)
      const elapsed = performance.now() - started
      expect(response.statusCode).toBe(200)
      expect(response.json().data.id).toBe(id)
      expect(elapsed).toBeLessThan(1000) // generous: the budget is the 100 ms command timeout
    }
    expect((await read(1)).headers['x-cache']).toBe('HIT')

    const write = await t.app.inject({
      method: 'PATCH',
      url: '/products/2',
      headers: auth,
      payload: { stock: 7 },
    })
    expect(write.statusCode).toBe(200)
    expect((await read(2)).json().data.stock).toBe(7)

    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({
      status: 'unavailable',
      checks: { redis: 'down', database: 'up' },
    })
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).toMatch(/^cache_errors_total\{cache="product",operation="(get|lease)"\} [1-9]/m)
  })

  it('caches in Redis again once it is back, without a restart', async () => {
    await redis.restart()
    const restarted = new Redis(redis.url)
    try {
      const key = `${t.config.REDIS_KEY_PREFIX}product:v1:7`
      await expect
        .poll(async () => {
          await read(7)
          return restarted.exists(key)
        }, POLL)
        .toBe(1)
      expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200)

      // Invalidations published while the bus was away are lost to it: L1 was cleared when it
      // subscribed again, so product 1, an L1 hit all through the outage, is read afresh.
      await expect.poll(() => t.app.cacheStack.bus?.connected, POLL).toBe(true)
      const after = await read(1)
      expect(after.headers['x-cache-tier']).not.toBe('l1')
    } finally {
      await restarted.quit()
    }
  })
})
