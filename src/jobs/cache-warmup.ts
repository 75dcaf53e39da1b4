import type { Job } from 'bullmq'
import type { CacheWarmupPayload, CacheWarmupResult } from '../queues/cache-warmup.js'
import type { JobContext } from './job-context.js'

/** Loads the most-read products into the cache; the catalog decides how. */
export async function cacheWarmup(
  job: Job<CacheWarmupPayload>,
  { catalog }: JobContext,
): Promise<CacheWarmupResult> {
  return { warmed: await catalog.warmUp(job.data.topN) }
}
