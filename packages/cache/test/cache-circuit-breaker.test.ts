import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { startRedisServer } from '../../../test/support/redis.js'
import { MemoryTier } from '../src/memory/memory-tier.js'
import type { CircuitStateName } from '../src/redis-guard.js'
import { adminClient, connectClient, POLL, spyObserver, startCache } from './helpers.js'

// The circuit breaker around Redis, against a redis-server of the test's own that it kills and
// restarts (the shared one is never touched).

const HALF_OPEN_AFTER_MS = 2000

async function setup() {
  const server = await startRedisServer()
  onTestFinished(() => server.stop())
  const redis = await connectClient(server.url, 200)
  const observer = spyObserver()
  const cache = await startCache<string>({
    name: 'product',
    redis,
    observer,
    l1: new MemoryTier(),
    // Over a 1 s window with at least 5 calls, more than half failed: open for 2 s.
    circuitBreaker: {
      threshold: 0.5,
      samplingMs: 1000,
      minimumRps: 5,
      halfOpenAfterMs: HALF_OPEN_AFTER_MS,
    },
  })
  return { server, redis, observer, cache }
}

describe('circuit breaker', () => {
  it('opens when Redis dies, stops calling it, and closes again once it is back', async () => {
    const { server, redis, observer, cache } = await setup()
    const states = (): CircuitStateName[] => observer.circuit.mock.calls.map(([, state]) => state)
    const loader = vi.fn(async () => 'from db')
    await cache.getOrSet('warm', async () => 'warm value') // in L1 and Redis

    await server.kill()
    let cold = 0
    await expect
      .poll(
        async () => {
          await expect(cache.getOrSet(`cold-${cold++}`, loader)).resolves.toMatchObject({
            value: 'from db',
          })
          return states().includes('open')
        },
        { ...POLL, message: 'the circuit opens' },
      )
      .toBe(true)
    const openedAt = Date.now()
    const errorsWhenOpened = observer.error.mock.calls.length
    expect(errorsWhenOpened).toBeGreaterThan(0)

    // While open: reads answer from the loader or L1, Redis is not called, nothing is reported.
    const sent = vi.spyOn(redis, 'sendCommand')
    onTestFinished(() => sent.mockRestore())
    for (let i = 0; i < 50; i++) {
      await expect(cache.getOrSet(`open-${i}`, loader)).resolves.toMatchObject({
        value: 'from db',
        status: 'miss',
      })
    }
    await expect(cache.getOrSet('warm', loader)).resolves.toEqual({
      value: 'warm value',
      status: 'hit',
      tier: 'l1',
      freshUntil: expect.any(Number),
    })
    expect(Date.now() - openedAt).toBeLessThan(HALF_OPEN_AFTER_MS) // still within the open period
    expect(sent).not.toHaveBeenCalled()
    expect(observer.error).toHaveBeenCalledTimes(errorsWhenOpened)
    expect(states()).toEqual(['open'])
    sent.mockRestore()

    // Redis comes back: a probe after halfOpenAfterMs finds it, and the circuit closes.
    await server.restart()
    let after = 0
    await expect
      .poll(
        async () => {
          await cache.getOrSet(`after-${after++}`, loader)
          return states().at(-1) === 'closed'
        },
        { ...POLL, timeout: 15_000, message: 'the circuit closes' },
      )
      .toBe(true)
    expect(states()).toContain('half-open')
    await cache.getOrSet('back', loader)
    expect(await adminClient(server.url).exists(cache.keyFor('back'))).toBe(1)
  })

  it('with the breaker off, every read still tries Redis (and reports it)', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    const redis = await connectClient(server.url, 200)
    const observer = spyObserver()
    const cache = await startCache<string>({
      name: 'product',
      redis,
      observer,
      circuitBreaker: false,
    })
    await server.kill()

    for (let i = 0; i < 20; i++) await cache.getOrSet(`k${i}`, async () => 'from db')
    expect(observer.circuit).not.toHaveBeenCalled()
    const gets = observer.error.mock.calls.filter(([, operation]) => operation === 'get')
    expect(gets).toHaveLength(20)
  })
})
