import { describe, expect, it } from 'vitest'
import { MemoryTier } from '../src/memory/memory-tier.js'
import { adminClient, connectClient, isolatedPrefix, startCache } from './helpers.js'

/** An L1 of 500 entries, and a flood four times that size of ids that do not exist. */
const L1_ITEMS = 500
const FLOOD = 2000

describe('a flood of made-up ids', () => {
  it.each([
    ['absent entries kept apart: the hot entry stays in L1', 1000, true],
    [
      'control, kept with the values (the protection off): the hot entry is pushed out',
      'shared',
      false,
    ],
  ] as const)('%s', async (_, absentL1MaxItems, hotStays) => {
    const redis = await connectClient()
    const l1 = new MemoryTier({ maxItems: L1_ITEMS, ttlMs: 60_000 })
    const cache = await startCache<{ name: string }>({
      name: 'product',
      redis,
      keyPrefix: isolatedPrefix(adminClient()),
      l1,
      absentL1MaxItems,
    })
    await cache.getOrSet('hot', async () => ({ name: 'hot' }))
    expect(cache.getFromMemory('hot', async () => undefined)?.status).toBe('hit')

    for (let i = 0; i < FLOOD; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          cache.getOrSet(`missing-${i + j}`, async () => undefined),
        ),
      )
    }

    const hot = cache.getFromMemory('hot', async () => undefined)
    console.info(
      `${FLOOD} made-up ids, absent entries ${absentL1MaxItems === 'shared' ? 'in' : 'apart from'} ` +
        `an L1 of ${L1_ITEMS}: the hot entry ${hot ? 'still in L1' : 'pushed out of L1'}, ` +
        `L1 holds ${l1.entries} entries`,
    )
    expect(hot !== undefined).toBe(hotStays)
    // The most recent made-up ids are still answered from memory, without Redis.
    expect(
      cache.getFromMemory(`missing-${FLOOD - 1}`, async () => undefined)?.value,
    ).toBeUndefined()
  })
})
