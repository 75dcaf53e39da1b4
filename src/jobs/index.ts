import type { Job } from 'bullmq'
import { CACHE_WARMUP } from '../queues/cache-warmup.js'
import { PERSIST_PRODUCT_WRITE } from '../queues/persist-product-write.js'
import { REGENERATE_PRODUCT_CACHE } from '../queues/regenerate-product-cache.js'
import { cacheWarmup } from './cache-warmup.js'
import type { JobContext } from './job-context.js'
import { persistProductWrite } from './persist-product-write.js'
import { regenerateProductCache } from './regenerate-product-cache.js'

type Processor = (job: Job, context: JobContext) => Promise<unknown>

/** Every job the worker runs, by name: the one list to extend when a job is added. */
export const processors: Record<string, Processor> = {
  [REGENERATE_PRODUCT_CACHE]: regenerateProductCache,
  [CACHE_WARMUP]: cacheWarmup,
  [PERSIST_PRODUCT_WRITE]: persistProductWrite,
}
