import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createLibraryCache, type LibraryName } from '../../bench/library/adapters.js'
import { opsMeasurement, runOps } from '../../bench/library/ops.js'
import { type Row, raceReadsAgainstWrites } from '../../bench/library/race.js'
import { deleteKeysByPrefix } from '../../bench/redis-keys.js'
import { REDIS_URL, uniquePrefix } from '../support/redis.js'

describe('runOps (the library scenario’s in-process driver)', () => {
  it('counts the operations of every worker until the time is up, each on its own index', async () => {
    const seen = new Set<number>()
    const run = await runOps(
      async (index) => {
        seen.add(index)
      },
      { durationMs: 30, concurrency: 4, timeEach: true },
    )
    expect(run.operations).toBeGreaterThan(0)
    expect(run.errors).toBe(0)
    expect(seen.size).toBe(run.operations) // no index twice
    expect(run.elapsedMs).toBeGreaterThanOrEqual(30)
    expect(run.latency.count).toBe(run.operations)
    expect(run.latency.p99).toBeGreaterThanOrEqual(0)
  })

  it('untimed, counts in blocks and knows only the mean; failures are errors', async () => {
    const run = await runOps(
      async (index) => {
        if (index % 2 === 1) throw new Error('odd')
      },
      { durationMs: 10, concurrency: 1, timeEach: false },
    )
    expect(run.operations % 256).toBe(0)
    expect(run.errors).toBe(run.operations / 2)
    expect(run.latency.mean).toBeGreaterThan(0)
    expect(run.latency.p50).toBeNaN()

    const measurement = opsMeasurement(2, run, 3)
    expect(measurement).toMatchObject({
      round: 2,
      requests: run.operations,
      errors: run.errors,
      databaseLoads: 3,
    })
    expect(measurement.rps).toBeCloseTo((run.operations / run.elapsedMs) * 1000)
  })
})

describe('the read/write race of the library scenario', () => {
  const prefix = `bench:${uniquePrefix()}`
  const admin = new Redis(REDIS_URL)
  afterAll(async () => {
    await deleteKeysByPrefix(admin, prefix)
    admin.disconnect()
  })

  const race = async (library: LibraryName) => {
    const options = {
      redisUrl: REDIS_URL,
      keyPrefix: `${prefix}${library}:`,
      layout: 'instances' as const,
    }
    const reader = await createLibraryCache<Row>(library, options)
    const writer = await createLibraryCache<Row>(library, options)
    try {
      return await raceReadsAgainstWrites(reader, writer, {
        keys: 5,
        keyPrefix: 'r-',
        quietMs: 100,
      })
    } finally {
      await reader.close()
      await writer.close()
    }
  }

  it('leaves no stale key with our package: every held load is fenced', async () => {
    expect(await race('ours')).toEqual({ keys: 5, staleKeys: 0, racedLoads: 5, readErrors: 0 })
  })

  it.each(['bentocache', 'cache-manager'] as const)(
    'is a real race: %s stores every load the write overtook',
    async (library) => {
      expect(await race(library)).toEqual({
        keys: 5,
        staleKeys: 5,
        racedLoads: 5,
        readErrors: 0,
      })
    },
  )
})
