import type { Job } from 'bullmq'
import { REGENERATE_PRODUCT_CACHE } from '../queues/regenerate-product-cache.js'
import type { JobContext } from './job-context.js'
import { regenerateProductCache } from './regenerate-product-cache.js'

type Processor = (job: Job, context: JobContext) => Promise<unknown>

/** Every job the worker runs, by name: the one list to extend when a job is added. */
export const processors: Record<string, Processor> = {
  [REGENERATE_PRODUCT_CACHE]: regenerateProductCache,
}
