import type { Queue } from 'bullmq'

/** Reloads one product from the database and refreshes its cache entry. */
export const REGENERATE_PRODUCT_CACHE = 'regenerate-product-cache'

export interface RegenerateProductCachePayload {
  v: 1
  productId: number
}

export interface RegenerateProductCacheResult {
  productId: number
  version: number
}

/** The counterpart of the demo's `q.enqueue(regenerate_product_cache, product_id=1)`. */
export async function enqueueRegenerateProductCache(queue: Queue, productId: number) {
  const payload: RegenerateProductCachePayload = { v: 1, productId }
  return queue.add(REGENERATE_PRODUCT_CACHE, payload)
}
