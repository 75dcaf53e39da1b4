import type { RunningTarget } from '../targets.js'
import { batchPath } from './ids.js'

const TIMEOUT_MS = 10_000
/** The most ids a batch read takes (MAX_BATCH_IDS in src/http/schemas/products.ts). */
const MAX_BATCH_IDS = 100
/** Prefill requests in flight at once, per target. */
const PREFILL_CONCURRENCY = 8

interface BatchBody {
  items: Array<{ id: number }>
  missing: number[]
}

/**
 * POST /cache/version on every instance: every product entry is invalidated (this process's
 * memory dropped, Redis entries of the old version no longer read), so the cache starts empty.
 */
export async function bumpKeyVersion(target: RunningTarget, adminToken: string): Promise<number> {
  let version = 0
  for (const url of target.urls) {
    const response = await fetch(`${url}/cache/version`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const body = (await response.json()) as { version?: number }
    if (!response.ok || typeof body.version !== 'number') {
      throw new Error(`${target.spec.id}: POST /cache/version → ${response.status}`)
    }
    version = body.version
  }
  return version
}

/** One batch read, answered in full: every id an item, in the order asked, none missing. */
export async function expectWholeBatch(
  target: RunningTarget,
  ids: readonly number[],
): Promise<void> {
  for (const url of target.urls) {
    const response = await fetch(`${url}${batchPath(ids)}`, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    if (!response.ok) {
      throw new Error(`${target.spec.id}: GET ${batchPath(ids)} → ${response.status}`)
    }
    const body = (await response.json()) as BatchBody
    const answered = body.items.map((item) => item.id)
    if (answered.join(',') !== ids.join(',') || body.missing.length > 0) {
      throw new Error(
        `${target.spec.id}: a batch of ${ids.length} ids answered ${answered.length} items ` +
          `and ${body.missing.length} missing, not every id in order`,
      )
    }
  }
}

/** Reads products 1..count through the target in batches of 100: every one cached. */
export async function prefillAll(target: RunningTarget, count: number): Promise<void> {
  const chunks: number[][] = []
  for (let first = 1; first <= count; first += MAX_BATCH_IDS) {
    const last = Math.min(count, first + MAX_BATCH_IDS - 1)
    chunks.push(Array.from({ length: last - first + 1 }, (_, index) => first + index))
  }
  let next = 0
  const worker = async () => {
    while (next < chunks.length) {
      const ids = chunks[next++] as number[]
      for (const url of target.urls) {
        const response = await fetch(`${url}${batchPath(ids)}`, {
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
        await response.arrayBuffer()
        if (!response.ok) {
          throw new Error(`${target.spec.id}: prefill GET ${batchPath(ids)} → ${response.status}`)
        }
      }
    }
  }
  await Promise.all(Array.from({ length: PREFILL_CONCURRENCY }, worker))
}
