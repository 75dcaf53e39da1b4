import type { RequestShape } from '../load-types.js'
import { createZipfSampler, seededRandom } from '../zipf.js'

/** Ids per batch read: a cart, a search result page, a recommendation strip. */
export const BATCH_SIZE = 50

/**
 * Batches of `size` distinct product ids, each drawn from Zipf(s) over 1..products (a draw
 * already in the batch is drawn again: a cart holds a product once), in the order drawn. The
 * same seed gives the same batches, so two ways of reading can read the same products.
 */
export function zipfBatches(
  products: number,
  s: number,
  seed: number,
  size = BATCH_SIZE,
): () => number[] {
  if (!(Number.isSafeInteger(size) && size >= 1 && size <= products)) {
    throw new RangeError(`a batch must hold 1 to ${products} ids: ${size}`)
  }
  const sampler = createZipfSampler(products, s, seededRandom(seed))
  return () => {
    const ids = new Set<number>()
    while (ids.size < size) ids.add(sampler.next())
    return [...ids]
  }
}

/** The path of one batch read: GET /products?ids=1,2,3. */
export const batchPath = (ids: readonly number[]) => `/products?ids=${ids.join(',')}`

/** Every batch `next` gives, in one GET /products?ids= each. */
export function batchReads(next: () => number[]): () => RequestShape {
  return () => ({ method: 'GET', path: batchPath(next()) })
}

/** The same batches, one GET /products/:id per id, in the order of the batches and their ids. */
export function singleReads(next: () => number[]): () => RequestShape {
  let batch: number[] = []
  let index = 0
  return () => {
    if (index >= batch.length) {
      batch = next()
      index = 0
    }
    const id = batch[index++] as number
    return { method: 'GET', path: `/products/${id}` }
  }
}

/** How many distinct ids the first `count` batches of `next` hold. */
export function distinctIds(next: () => number[], count: number): number {
  const seen = new Set<number>()
  for (let i = 0; i < count; i++) for (const id of next()) seen.add(id)
  return seen.size
}
