import { type Sample, sumSamples } from './prometheus-text.js'

/** The product cache's counters on one instance's /metrics (or their sum, or a difference). */
export interface CacheCounters {
  /** cache_loads_total: loader calls, i.e. database reads made for the cache. */
  loads: number
  l1Hits: number
  l2Hits: number
  stale: number
  misses: number
  coalesced: number
  /** cache_errors_total over every operation: Redis calls that failed or timed out. */
  redisErrors: number
  /** GET /products/:id requests the service answered (any status), from its own histogram. */
  productReads: number
}

export const ZERO_COUNTERS: CacheCounters = {
  loads: 0,
  l1Hits: 0,
  l2Hits: 0,
  stale: 0,
  misses: 0,
  coalesced: 0,
  redisErrors: 0,
  productReads: 0,
}

const PRODUCT = { cache: 'product' }

export function productCacheCounters(samples: readonly Sample[]): CacheCounters {
  return {
    loads: sumSamples(samples, 'cache_loads_total', PRODUCT),
    l1Hits: sumSamples(samples, 'cache_hits_total', { ...PRODUCT, tier: 'l1' }),
    l2Hits: sumSamples(samples, 'cache_hits_total', { ...PRODUCT, tier: 'l2' }),
    stale: sumSamples(samples, 'cache_stale_served_total', PRODUCT),
    misses: sumSamples(samples, 'cache_misses_total', PRODUCT),
    coalesced: sumSamples(samples, 'cache_coalesced_total', PRODUCT),
    redisErrors: sumSamples(samples, 'cache_errors_total', PRODUCT),
    productReads: sumSamples(samples, 'http_request_duration_seconds_count', {
      method: 'GET',
      route: '/products/:id',
    }),
  }
}

export function addCounters(a: CacheCounters, b: CacheCounters): CacheCounters {
  return combine(a, b, (x, y) => x + y)
}

export function subtractCounters(after: CacheCounters, before: CacheCounters): CacheCounters {
  return combine(after, before, (x, y) => x - y)
}

function combine(a: CacheCounters, b: CacheCounters, op: (x: number, y: number) => number) {
  const result = { ...ZERO_COUNTERS }
  for (const field of Object.keys(ZERO_COUNTERS) as Array<keyof CacheCounters>) {
    result[field] = op(a[field], b[field])
  }
  return result
}

/** Shares of reads by how they were answered; NaN each when the cache saw no reads. */
export interface HitRatios {
  l1: number
  l2: number
  stale: number
  miss: number
}

/**
 * Each tier's share of the reads the cache answered (l1 + l2 + stale + miss = 1). A strategy
 * with no cache (none) reports no reads, hence NaN: "not applicable", not zero.
 */
export function hitRatios(counters: CacheCounters): HitRatios {
  const reads = counters.l1Hits + counters.l2Hits + counters.stale + counters.misses
  const share = (part: number) => (reads > 0 ? part / reads : Number.NaN)
  return {
    l1: share(counters.l1Hits),
    l2: share(counters.l2Hits),
    stale: share(counters.stale),
    miss: share(counters.misses),
  }
}
