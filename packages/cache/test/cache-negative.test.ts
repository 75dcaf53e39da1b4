import { describe, expect, it, vi } from 'vitest'
import { MemoryTier } from '../src/memory/memory-tier.js'
import type { CacheOptions } from '../src/types.js'
import {
  adminClient,
  connectClient,
  isolatedPrefix,
  POLL,
  spyObserver,
  startCache,
} from './helpers.js'

// Negative caching: "no such thing" is cached too, briefly, so a flood of reads for an id that
// does not exist does not reach the database each time.

async function setup(options: Partial<CacheOptions<string>> = {}) {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const observer = spyObserver()
  const cache = await startCache<string>({
    name: 'product',
    redis: await connectClient(),
    keyPrefix,
    observer,
    ttlJitter: 0,
    ...options,
  })
  return { admin, cache, observer }
}

const nothing = () => vi.fn(async (): Promise<string | undefined> => undefined)

describe('negative caching', () => {
  it('caches "no such thing" as absent for negativeTtlSeconds', async () => {
    const { admin, cache, observer } = await setup({ negativeTtlSeconds: 30, graceSeconds: 3600 })
    const loader = nothing()

    await expect(cache.getOrSet('404', loader)).resolves.toMatchObject({
      value: undefined,
      status: 'miss',
    })
    await expect(cache.getOrSet('404', loader)).resolves.toMatchObject({
      value: undefined,
      status: 'hit',
      tier: 'l2',
    })
    expect(loader).toHaveBeenCalledTimes(1)
    expect(observer.hit).toHaveBeenCalledExactlyOnceWith('product', 'l2')

    const stored = JSON.parse((await admin.get(cache.keyFor('404'))) ?? 'null')
    expect(stored).toMatchObject({ absent: true })
    expect(stored).not.toHaveProperty('value')
    expect(stored.freshUntil - stored.storedAt).toBe(30_000)
    // No grace for "no such thing": Redis drops it when its negative TTL ends.
    const pttl = await admin.pttl(cache.keyFor('404'))
    expect(pttl).toBeGreaterThan(28_000)
    expect(pttl).toBeLessThanOrEqual(30_000)
  })

  it('is served from L1 too, when there is one', async () => {
    const { cache } = await setup({ l1: new MemoryTier() })
    const loader = nothing()
    await cache.getOrSet('404', loader)
    await expect(cache.getOrSet('404', loader)).resolves.toMatchObject({
      value: undefined,
      status: 'hit',
      tier: 'l1',
    })
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('asks the loader again once the negative TTL is over', async () => {
    const { admin, cache } = await setup({ negativeTtlSeconds: 0.2 })
    const loader = vi.fn(async (): Promise<string | undefined> => undefined)
    await cache.getOrSet('404', loader)

    await expect
      .poll(async () => (await admin.exists(cache.keyFor('404'))) === 0, {
        ...POLL,
        message: 'it expires',
      })
      .toBe(true)
    loader.mockImplementation(async () => 'created since')
    await expect(cache.getOrSet('404', loader)).resolves.toMatchObject({
      value: 'created since',
      status: 'miss',
    })
  })

  it('is never served stale: past its negative TTL it is a miss, wherever Redis still has it', async () => {
    // Redis keeps it a little longer with TTL jitter, or by another instance's clock.
    const { admin, cache } = await setup({ negativeTtlSeconds: 30, graceSeconds: 3600 })
    const storedAt = Date.now() - 31_000
    const expired = { absent: true, storedAt, freshUntil: storedAt + 30_000, loadMs: 1 }
    await admin.set(cache.keyFor('404'), JSON.stringify(expired), 'PX', 60_000)

    await expect(cache.getOrSet('404', async () => 'created since')).resolves.toMatchObject({
      value: 'created since',
      status: 'miss',
    })
  })

  it('delete(id) drops it: the next read loads', async () => {
    const { admin, cache } = await setup({ l1: new MemoryTier() })
    const loader = vi.fn(async (): Promise<string | undefined> => undefined)
    await cache.getOrSet('404', loader)

    await cache.delete('404')
    expect(await admin.exists(cache.keyFor('404'))).toBe(0)
    loader.mockImplementation(async () => 'created')
    await expect(cache.getOrSet('404', loader)).resolves.toMatchObject({
      value: 'created',
      status: 'miss',
    })
    expect(loader).toHaveBeenCalledTimes(2)
  })

  it('negativeTtlSeconds: 0 turns it off: every read of a missing id loads', async () => {
    const l1 = new MemoryTier()
    const { cache } = await setup({ negativeTtlSeconds: 0, l1 })
    const loader = nothing()

    for (let i = 0; i < 3; i++) {
      await expect(cache.getOrSet('404', loader)).resolves.toMatchObject({
        value: undefined,
        status: 'miss',
      })
    }
    expect(loader).toHaveBeenCalledTimes(3)
    expect(l1.get(cache.keyFor('404'))).toBeUndefined()
  })
})
