import type { JobsOptions, Queue } from 'bullmq'

/** Loads the most-read products into the cache, so they are hits from the first request. */
export const CACHE_WARMUP = 'cache-warmup'

export interface CacheWarmupPayload {
  v: 1
  topN: number
}

export interface CacheWarmupResult {
  warmed: number
}

/** A warm-up that fails is not retried: the next scheduled one comes soon enough. */
const WARMUP_JOB_OPTIONS = { attempts: 1 } satisfies JobsOptions

/** Warm-ups queued by workers starting together, while one is still waiting or running, are one. */
const ON_START_DEDUPLICATION_ID = `${CACHE_WARMUP}:on-start`

/** One warm-up now, e.g. for an operator or a test; answers the job. */
export function enqueueCacheWarmup(queue: Queue, topN: number) {
  const payload: CacheWarmupPayload = { v: 1, topN }
  return queue.add(CACHE_WARMUP, payload, WARMUP_JOB_OPTIONS)
}

/**
 * Runs the warm-up now and on `cron`; `topN` 0 removes the schedule instead. Safe for every
 * worker to call at start: the scheduler id is fixed and a cron's next run has a job id derived
 * from it (`repeat:<id>:<next run ms>`), so BullMQ's upsert replaces the one pending run rather
 * than adding another, and the run at start is deduplicated while one is still pending.
 */
export async function scheduleCacheWarmup(queue: Queue, { cron, topN }: WarmupSchedule) {
  if (topN === 0) {
    await queue.removeJobScheduler(CACHE_WARMUP)
    return
  }
  const payload: CacheWarmupPayload = { v: 1, topN }
  await queue.add(CACHE_WARMUP, payload, {
    ...WARMUP_JOB_OPTIONS,
    deduplication: { id: ON_START_DEDUPLICATION_ID },
  })
  // The template's options are merged over the queue's defaults (attempts, backoff, retention).
  await queue.upsertJobScheduler(
    CACHE_WARMUP,
    { pattern: cron },
    { name: CACHE_WARMUP, data: payload, opts: WARMUP_JOB_OPTIONS },
  )
}

export interface WarmupSchedule {
  /** A cron pattern, e.g. `0 * * * *` (hourly). */
  cron: string
  /** How many of the most-read products to load; 0 turns the warm-up off. */
  topN: number
}
