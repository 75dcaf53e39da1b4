import type { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CACHE_WARMUP, scheduleCacheWarmup } from '../../src/queues/cache-warmup.js'
import { openCatalogQueue } from '../../src/queues/catalog-queue.js'
import { startTestApp, type TestApp } from '../support/app.js'

const EVERY_10_MINUTES = '*/10 * * * *'

/**
 * What several workers starting at once leave behind. The app has no worker (ROLE=api), so
 * every job they queued is still there to count.
 */
describe('scheduling the cache warm-up', () => {
  let t: TestApp
  let queues: Queue[]
  beforeAll(async () => {
    t = await startTestApp({ REDIS_COMMAND_TIMEOUT_MS: '1000' }) // no timeouts on a loaded machine
    // Three producers, as three worker processes would have, on one queue.
    queues = [t.app.queue, openCatalogQueue(t.config), openCatalogQueue(t.config)]
  })
  afterAll(async () => {
    for (const queue of queues.slice(1)) await queue.close()
    await t.close()
  })

  const pending = async () => ({
    schedulers: (await t.app.queue.getJobSchedulers()).map(({ key, pattern }) => ({
      key,
      pattern,
    })),
    delayed: (await t.app.queue.getDelayed()).map((job) => job.name),
    waiting: (await t.app.queue.getWaiting()).map((job) => job.name),
  })
  const onePending = {
    schedulers: [{ key: CACHE_WARMUP, pattern: EVERY_10_MINUTES }],
    delayed: [CACHE_WARMUP], // the next cron run
    waiting: [CACHE_WARMUP], // the run at start
  }

  it('leaves one schedule, one next run and one run at start, however many workers start', async () => {
    const schedule = { cron: EVERY_10_MINUTES, topN: 5 }
    await Promise.all(queues.map((queue) => scheduleCacheWarmup(queue, schedule)))
    expect(await pending()).toEqual(onePending)

    await scheduleCacheWarmup(queues[1] as Queue, schedule) // one of them restarts
    expect(await pending()).toEqual(onePending)
  })

  it('takes a new top N or cron from the latest start', async () => {
    await scheduleCacheWarmup(t.app.queue, { cron: '0 * * * *', topN: 7 })
    const scheduler = await t.app.queue.getJobScheduler(CACHE_WARMUP)
    expect(scheduler).toMatchObject({ pattern: '0 * * * *', template: { data: { v: 1, topN: 7 } } })
    expect((await t.app.queue.getDelayed()).map((job) => job.data)).toEqual([{ v: 1, topN: 7 }])
  })

  it('removes the schedule and its next run when WARMUP_TOP_N is 0', async () => {
    await scheduleCacheWarmup(t.app.queue, { cron: EVERY_10_MINUTES, topN: 0 })
    const { schedulers, delayed } = await pending()
    expect({ schedulers, delayed }).toEqual({ schedulers: [], delayed: [] })
  })
})
