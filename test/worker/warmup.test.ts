import type { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CACHE_WARMUP, enqueueCacheWarmup } from '../../src/queues/cache-warmup.js'
import { auth, startTestApp, type TestApp } from '../support/app.js'

const TOP_N = 3

/** The job as it finished, result included; throws while it has not finished. */
async function finishedJob(queue: Queue, id: string | undefined) {
  // State first: a job read before it finished would keep its old (empty) result.
  const state = await queue.getJobState(String(id))
  expect(['completed', 'failed'], `job ${id} still ${state}`).toContain(state)
  const job = await queue.getJob(String(id))
  expect(job).toBeDefined()
  return job as NonNullable<typeof job>
}

/** Up to 10 s for a job or a flush, looking every 25 ms. */
const POLL = { timeout: 10_000, interval: 25 }

describe('the cache-warmup job', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({
      ROLE: 'all', // the worker runs in this process
      WARMUP_TOP_N: String(TOP_N),
      // Counting loads needs every fill to land: no Redis timeouts when the suite loads the machine.
      REDIS_COMMAND_TIMEOUT_MS: '1000',
    })
  })
  afterAll(() => t.close())

  const read = (id: number) => t.app.inject({ method: 'GET', url: `/products/${id}` })
  const productLoads = async () => {
    const { values } = await t.app.metrics.cacheLoads.get()
    return values.find((value) => value.labels.cache === 'product')?.value ?? 0
  }

  it('is scheduled on the cron when the worker starts, and runs once at start', async () => {
    const atStart = await vi.waitFor(async () => {
      const jobs = await t.app.queue.getJobs(['completed'])
      const warmUp = jobs.find((job) => job.name === CACHE_WARMUP)
      expect(warmUp, 'a warm-up ran at start').toBeDefined()
      return warmUp as NonNullable<typeof warmUp>
    }, POLL)
    expect(atStart.data).toEqual({ v: 1, topN: TOP_N })
    expect(atStart.returnvalue).toEqual({ warmed: 0 }) // nothing had been read yet

    const scheduler = await t.app.queue.getJobScheduler(CACHE_WARMUP)
    expect(scheduler).toMatchObject({ pattern: '*/10 * * * *', name: CACHE_WARMUP })
    expect(scheduler?.template?.data).toEqual({ v: 1, topN: TOP_N })
  })

  it('loads the most-read products into the cache, and only those', async () => {
    // Product 5 is read most, then 7, 9; 11 and 12 once each.
    for (const [id, reads] of [
      [5, 4],
      [7, 3],
      [9, 2],
      [11, 1],
      [12, 1],
    ] as const) {
      for (let i = 0; i < reads; i++) expect((await read(id)).statusCode).toBe(200)
    }
    const key = `${t.config.REDIS_KEY_PREFIX}reads:product`
    await expect
      .poll(() => t.dependencies.redis.zscore(key, '12'), {
        ...POLL,
        timeout: 5000,
        message: 'the read counts are flushed',
      })
      .toBe('1')
    // New keys: nothing read so far is cached any more.
    const bumped = await t.app.inject({ method: 'POST', url: '/cache/version', headers: auth })
    expect(bumped.statusCode).toBe(200)

    const loadsBefore = await productLoads()
    const { id } = await enqueueCacheWarmup(t.app.queue, TOP_N)
    const job = await vi.waitFor(() => finishedJob(t.app.queue, id), POLL)
    expect(job.returnvalue).toEqual({ warmed: TOP_N })
    expect(await productLoads()).toBe(loadsBefore + TOP_N)
    // And it aged the counts: 4 reads of product 5 now weigh 2 against whatever comes next.
    expect(await t.dependencies.redis.zscore(key, '5')).toBe('2')

    // In Redis too, where every instance reads it.
    const entry = (id: number) => `${t.config.REDIS_KEY_PREFIX}product:v2:${id}`
    expect(await t.dependencies.redis.exists(entry(5), entry(7), entry(9), entry(11))).toBe(3)

    const loadsAfterWarmUp = await productLoads()
    for (const id of [5, 7, 9]) {
      const response = await read(id)
      expect(response.headers['x-cache'], `product ${id}`).toBe('HIT')
    }
    expect(await productLoads()).toBe(loadsAfterWarmUp)

    // A product outside the top N was not warmed: reading it loads it.
    expect((await read(11)).headers['x-cache']).toBe('MISS')
    expect(await productLoads()).toBe(loadsAfterWarmUp + 1)
  })
})
