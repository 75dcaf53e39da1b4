import { type Job, UnrecoverableError } from 'bullmq'
import type {
  PersistProductWritePayload,
  PersistProductWriteResult,
} from '../queues/persist-product-write.js'
import type { JobContext } from './job-context.js'

/**
 * Persists the product's latest pending write. A database that does not answer throws, and
 * BullMQ retries with backoff; a write the database refuses will be refused again, so the job
 * fails at once with the reason (the catalog has already put the database's row back in front).
 */
export async function persistProductWrite(
  job: Job<PersistProductWritePayload>,
  { catalog }: JobContext,
): Promise<PersistProductWriteResult> {
  if (job.data.v !== 1) throw new UnrecoverableError(`Unknown payload version ${job.data.v}`)
  const { productId, version } = job.data
  const outcome = await catalog.persistPendingWrite(productId, version)
  if (outcome.status === 'rejected') throw new UnrecoverableError(outcome.reason)
  if (outcome.status === 'coalesced') return { productId, outcome: 'coalesced' }
  return { productId, outcome: 'persisted', version: outcome.version }
}
