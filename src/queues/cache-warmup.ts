import type { Queue } from 'bullmq'

/** Loads the most-read products into the cache, so they are hits from the first request. */
export const CACHE_WARMUP = 'cache-warmup'

export interface CacheWarmupPayload {
  v: 1
  topN: number
}

export interface CacheWarmupResult {
  warmed: number
}

/** Runs the warm-up now and on `cron` (a scheduler: one schedule however many workers start). */
export async function scheduleCacheWarmup(queue: Queue, cron: string, topN: number) {
  const payload: CacheWarmupPayload = { v: 1, topN }
  await queue.add(CACHE_WARMUP, payload, { attempts: 1 })
  await queue.upsertJobScheduler(
    CACHE_WARMUP,
    { pattern: cron },
    { name: CACHE_WARMUP, data: payload },
  )
}
