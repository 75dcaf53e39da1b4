import type { Queue } from 'bullmq'

/** Writes a product's pending (write-behind) state to the database. */
export const PERSIST_PRODUCT_WRITE = 'persist-product-write'

/** `version`: the write this job was enqueued for; the job persists the latest pending one. */
export interface PersistProductWritePayload {
  v: 1
  productId: number
  version: number
}

/**
 * `persisted`: the database holds `version` (the latest pending state, maybe later than the
 * job's own). `coalesced`: nothing was pending, an earlier job already persisted a later state.
 */
export type PersistProductWriteResult =
  | { productId: number; outcome: 'persisted'; version: number }
  | { productId: number; outcome: 'coalesced' }

/**
 * One job per acknowledged write. BullMQ ignores an add whose id it already holds, so the
 * worker's sweep can enqueue again whatever is pending without doubling jobs. (Custom ids must
 * not contain ':'.) Attempts and exponential backoff come from the queue's defaults
 * (JOB_ATTEMPTS): a database that is down is retried; a refused write fails at once.
 */
export const persistJobId = (productId: number, version: number) =>
  `persist-${productId}-v${version}`

export function enqueuePersistProductWrite(queue: Queue, productId: number, version: number) {
  const payload: PersistProductWritePayload = { v: 1, productId, version }
  return queue.add(PERSIST_PRODUCT_WRITE, payload, { jobId: persistJobId(productId, version) })
}
