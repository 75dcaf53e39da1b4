import { describe, expect, it, vi } from 'vitest'
import type { CacheOptions } from '../src/index.js'
import {
  adminClient,
  connectClient,
  deferred,
  isolatedPrefix,
  POLL,
  spyObserver,
  startCache,
} from './helpers.js'

// Stale-while-revalidate and early refresh (XFetch), against the real Redis. TTLs are short
// and real (Redis expires keys by its own clock), so no fake timers.

async function setup() {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const instance = async (options: Partial<CacheOptions<string>> = {}) => {
    const observer = spyObserver()
    const cache = await startCache<string>({
      name: 'product',
      redis: await connectClient(),
      keyPrefix,
      observer,
      ttlSeconds: 1,
      graceSeconds: 10,
      ttlJitter: 0,
      earlyRefreshBeta: 0,
      ...options,
    })
    return { cache, observer }
  }
  return { admin, instance }
}

describe('stale-while-revalidate', () => {
  it('keeps an entry in Redis for its fresh period plus grace', async () => {
    const { admin, instance } = await setup()
    const { cache } = await instance()
    await cache.getOrSet('42', async () => 'v1')

    // 1 s fresh + 10 s grace, no jitter.
    const pttl = await admin.pttl(cache.keyFor('42'))
    expect(pttl).toBeGreaterThan(10_500)
    expect(pttl).toBeLessThanOrEqual(11_000)
  })

  it('answers a stale entry at once, while one background refresh runs for the cluster', async () => {
    const { instance } = await setup()
    const [a, b] = [await instance(), await instance()]
    const first = await a.cache.getOrSet('42', async () => 'v1')
    await expect
      .poll(() => Date.now(), {
        ...POLL,
        timeout: first.freshUntil - Date.now() + 5000,
        message: 'the entry goes stale',
      })
      .toBeGreaterThan(first.freshUntil)

    const database = deferred()
    const refresh = vi.fn(async () => {
      await database.promise
      return 'v2'
    })
    const staleReads = () =>
      Promise.all(
        [a, b].flatMap(({ cache }) =>
          Array.from({ length: 25 }, () => cache.getOrSet('42', refresh)),
        ),
      )

    // Every read answers while the refresh is still held at the database.
    for (const answer of await staleReads()) {
      expect(answer).toEqual({
        value: 'v1',
        status: 'stale',
        tier: 'l2',
        freshUntil: first.freshUntil,
      })
    }
    await expect
      .poll(() => refresh.mock.calls.length > 0, {
        ...POLL,
        message: 'the refresh reaches the database',
      })
      .toBe(true)
    for (const answer of await staleReads()) expect(answer).toMatchObject({ status: 'stale' })
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(a.observer.stale).toHaveBeenCalledWith('product', 'l2')
    // The first fill, then the one refresh.
    expect(a.observer.load.mock.calls.length + b.observer.load.mock.calls.length).toBe(2)

    database.resolve()
    for (const { cache } of [a, b]) {
      await expect
        .poll(async () => (await cache.getOrSet('42', refresh)).status === 'hit', {
          ...POLL,
          message: 'the refreshed entry is read as a hit',
        })
        .toBe(true)
    }
    // Fresh for 1 s again; both instances read the new value from Redis.
    await expect(a.cache.getOrSet('42', refresh)).resolves.toMatchObject({ value: 'v2' })
    await expect(b.cache.getOrSet('42', refresh)).resolves.toMatchObject({ value: 'v2' })
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('past the grace period an entry is a miss: the read waits for the load', async () => {
    const { instance } = await setup()
    const { cache } = await instance({ ttlSeconds: 0.2, graceSeconds: 0.2 })
    const first = await cache.getOrSet('42', async () => 'v1')
    await expect
      .poll(() => Date.now(), {
        ...POLL,
        timeout: first.freshUntil + 200 - Date.now() + 5000,
        message: 'the grace period ends',
      })
      .toBeGreaterThan(first.freshUntil + 200)

    await expect(cache.getOrSet('42', async () => 'v2')).resolves.toMatchObject({
      value: 'v2',
      status: 'miss',
    })
  })
})

describe('early refresh (XFetch) in the cache', () => {
  it('refreshes a hot key before it goes stale, answering hits meanwhile', async () => {
    const { admin, instance } = await setup()
    // A huge beta: every hit draws a head start far beyond the fresh period.
    const { cache, observer } = await instance({ ttlSeconds: 5, earlyRefreshBeta: 1e9 })
    const first = await cache.getOrSet('42', async () => 'v1')
    const refresh = vi.fn(async () => 'v2')

    await expect(cache.getOrSet('42', refresh)).resolves.toMatchObject({
      value: 'v1',
      status: 'hit',
    })
    await expect
      .poll(async () => JSON.parse((await admin.get(cache.keyFor('42'))) ?? '{}').value === 'v2', {
        ...POLL,
        timeout: 2000,
        message: 'the early refresh stores the new value',
      })
      .toBe(true)
    expect(Date.now()).toBeLessThan(first.freshUntil) // still fresh: refreshed early
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(observer.stale).not.toHaveBeenCalled()
    await expect(cache.getOrSet('42', refresh)).resolves.toMatchObject({
      value: 'v2',
      status: 'hit',
    })
  })

  it('with beta 0, a hit never refreshes', async () => {
    const { instance } = await setup()
    const { cache } = await instance({ ttlSeconds: 5, earlyRefreshBeta: 0 })
    await cache.getOrSet('42', async () => 'v1')
    const refresh = vi.fn(async () => 'v2')

    for (let i = 0; i < 50; i++) {
      await expect(cache.getOrSet('42', refresh)).resolves.toMatchObject({ status: 'hit' })
    }
    expect(refresh).not.toHaveBeenCalled()
  })
})
