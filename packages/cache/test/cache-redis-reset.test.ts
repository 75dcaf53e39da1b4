import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { startRedisServer } from '../../../test/support/redis.js'
import { MemoryTier } from '../src/memory/memory-tier.js'
import type { CacheProtections } from '../src/types.js'
import { adminClient, connectClient, deferred, POLL, startCache } from './helpers.js'

type Tagged = { name: string; tags: string[] }

/** A cache on a redis-server of the test's own, which the test flushes and restarts. */
async function cacheOnOwnRedis(protections: CacheProtections = {}) {
  const server = await startRedisServer()
  onTestFinished(() => server.dispose())
  const admin = adminClient(server.url)
  const reset = vi.fn()
  // Every refresh (each versionRefreshMs) syncs the tags: a window counted in refreshes, not ms.
  let refreshes = 0
  const cache = await startCache<Tagged>({
    name: 'product',
    redis: await connectClient(server.url),
    tags: (value) => value.tags,
    l1: new MemoryTier({ maxItems: 100, maxBytes: 1 << 20, ttlMs: 60_000 }),
    versionRefreshMs: 50,
    protections,
    observer: {
      redisReset: reset,
      redisCommand: (_cache, command) => {
        if (command === 'tags') refreshes++
      },
    },
  })
  return { server, admin, cache, reset, refreshes: () => refreshes }
}

describe('Cache when Redis loses its data', () => {
  it.each([
    ['random generations: the fill is fenced', true, 0],
    ['control, counted generations (the protection off): the old row is stored', false, 1],
  ])(
    'a load that read before a flush and a write does not store what it read: %s',
    async (_, uniqueGenerations, stored) => {
      const { admin, cache } = await cacheOnOwnRedis({ uniqueGenerations })
      // One earlier invalidation: a counter stands at 1, as it will again after the flush.
      await cache.delete('42')
      const gate = deferred<Tagged>()
      const slowLoad = cache.getOrSet('42', () => gate.promise) // has read its generation
      await expect
        .poll(async () => (await admin.exists(`{${cache.keyFor('42')}}:lease`)) === 1, {
          ...POLL,
          message: 'the load holds the lease',
        })
        .toBe(true)

      await admin.flushall() // an operator, or a restart without persistence
      await cache.delete('42') // a write's invalidation, after the flush
      gate.resolve({ name: 'the row as read before the write', tags: [] })
      await slowLoad

      expect(await admin.exists(cache.keyFor('42'))).toBe(stored)
    },
  )

  it.each([
    // Reset detection off in both: the floor alone must outdate it.
    ['tag versions raised to this instance’s copy: outdated', { resetDetection: false }, 'miss'],
    ['control, without the floor: still served', { tagFloor: false, resetDetection: false }, 'hit'],
  ] as const)(
    'an entry stamped before a flush, after its tag is invalidated: %s',
    async (_, protections, status) => {
      const { admin, cache } = await cacheOnOwnRedis(protections)
      for (let i = 0; i < 3; i++) await cache.deleteByTag(['list']) // the tag is at 3
      await cache.getOrSet('page', async () => ({ name: 'page 1', tags: ['list'] }))

      await admin.flushall() // the tags hash goes: a counter would start again at 1
      await cache.deleteByTag(['list'])

      const read = await cache.getOrSet('page', async () => ({
        name: 'page 1 again',
        tags: ['list'],
      }))
      expect(read.status).toBe(status)
    },
  )

  it('notices a flush within a few refreshes, drops its L1 entries and tells the observer once', async () => {
    const { admin, cache, reset, refreshes } = await cacheOnOwnRedis()
    await cache.getOrSet('1', async () => ({ name: 'one', tags: [] }))
    expect(cache.getFromMemory('1', async () => undefined)?.status).toBe('hit')
    const noticed = performance.now()
    await admin.flushall()
    await expect
      .poll(() => reset.mock.calls.length > 0, { ...POLL, message: 'the reset is noticed' })
      .toBe(true)
    console.info(
      `flush noticed after ${Math.round(performance.now() - noticed)} ms (refresh 50 ms)`,
    )
    expect(reset).toHaveBeenCalledExactlyOnceWith('product')
    expect(cache.getFromMemory('1', async () => undefined)).toBeUndefined()
    // The epoch was written again at once: the next refreshes (a window of four, as nothing
    // must happen) see no new reset.
    const seen = refreshes()
    await expect.poll(refreshes, POLL).toBeGreaterThanOrEqual(seen + 4)
    expect(reset).toHaveBeenCalledOnce()
  })

  it('notices a restart without persistence on reconnect', async () => {
    const { server, cache, reset } = await cacheOnOwnRedis()
    await cache.getOrSet('1', async () => ({ name: 'one', tags: [] }))
    await server.restart() // comes back empty
    await expect
      .poll(() => reset.mock.calls.length > 0, {
        ...POLL,
        timeout: 10_000,
        message: 'the reset is noticed',
      })
      .toBe(true)
    expect(reset).toHaveBeenCalledWith('product')
  })

  it('control: without reset detection, nothing notices', async () => {
    const { admin, cache, reset, refreshes } = await cacheOnOwnRedis({ resetDetection: false })
    await cache.getOrSet('1', async () => ({ name: 'one', tags: [] }))
    await admin.flushall()
    const seen = refreshes()
    await expect.poll(refreshes, POLL).toBeGreaterThanOrEqual(seen + 6) // six refreshes
    expect(reset).not.toHaveBeenCalled()
  })
})
