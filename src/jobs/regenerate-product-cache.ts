import { type Job, UnrecoverableError } from 'bullmq'
import type {
  RegenerateProductCachePayload,
  RegenerateProductCacheResult,
} from '../queues/regenerate-product-cache.js'
import type { JobContext } from './job-context.js'

/**
 * Reloads the product and refreshes its cache entry. A product that does not exist will not
 * exist on a retry either: the job fails at once, with the reason, instead of retrying.
 */
export async function regenerateProductCache(
  job: Job<RegenerateProductCachePayload>,
  { catalog }: JobContext,
): Promise<RegenerateProductCacheResult> {
  const { productId } = job.data
  const product = await catalog.regenerate(productId)
  if (!product) throw new UnrecoverableError(`Product ${productId} does not exist`)
  return { productId, version: product.version }
}
