import type { BatchLoader, CacheLookup } from '@caching-strategies/cache'
import type { ReadThroughCache } from '../strategies/read-through-cache.js'
import { databaseOrUnavailable } from './catalog-errors.js'
import type { Product } from './product.js'

/**
 * How a batch was answered, for X-Cache and Cache-Control: HIT when every id came from a cache
 * tier (fresh or stale), MISS when every one was loaded, MIXED otherwise; fresh until the
 * soonest of its entries stops being.
 */
export interface BatchCacheOutcome {
  status: 'HIT' | 'MISS' | 'MIXED'
  freshUntil: number
}

export interface ProductBatch {
  /** The products that exist, in the order asked (an id asked twice, twice). */
  items: Product[]
  /** The ids asked that are no product, each once, in the order asked. */
  missing: number[]
  cache: BatchCacheOutcome
}

/**
 * Many products through the cache at once: what the cache holds is answered from it, and the
 * cold ids cost one batch load (pending writes, then one query for the rest), still one load
 * per id in the whole cluster.
 */
export async function readBatch(
  products: ReadThroughCache<Product>,
  loadMany: (ids: readonly number[]) => Promise<ReadonlyMap<number, Product>>,
  ids: readonly number[],
): Promise<ProductBatch> {
  const loader: BatchLoader<Product> = async (keys) => {
    const found = await loadMany(keys.map(Number))
    return new Map([...found].map(([id, product]) => [String(id), product]))
  }
  const lookups = await databaseOrUnavailable(() => products.getMany(ids.map(String), loader))
  const items: Product[] = []
  const missing = new Set<number>()
  lookups.forEach((lookup, index) => {
    if (lookup.value === undefined) missing.add(ids[index] as number)
    else items.push(lookup.value)
  })
  return { items, missing: [...missing], cache: batchOutcome(lookups) }
}

function batchOutcome(lookups: readonly CacheLookup<unknown>[]): BatchCacheOutcome {
  const loaded = lookups.filter(({ status }) => status === 'miss').length
  const status = loaded === 0 ? 'HIT' : loaded === lookups.length ? 'MISS' : 'MIXED'
  const freshUntil = Math.min(...lookups.map((lookup) => lookup.freshUntil))
  return { status, freshUntil }
}
