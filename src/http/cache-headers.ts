import type { FastifyReply } from 'fastify'
import type { BatchCacheOutcome } from '../catalog/batch-read.js'
import type { CacheOutcome } from '../catalog/product-catalog.js'

const X_CACHE = { hit: 'HIT', stale: 'STALE', miss: 'MISS' } as const

/**
 * Tells the client how the read was answered (X-Cache, X-Cache-Tier) and lets HTTP caches
 * follow the same policy as ours: fresh for what is left of the entry's fresh period, then
 * servable stale while revalidating for the grace period.
 */
export function sendCacheHeaders(reply: FastifyReply, cache: CacheOutcome, graceSeconds: number) {
  reply.header('x-cache', X_CACHE[cache.status])
  if (cache.tier) reply.header('x-cache-tier', cache.tier)
  sendCacheControl(reply, cache.freshUntil, graceSeconds)
}

/** The same for a batch read: X-Cache HIT, MISS or MIXED; fresh as long as all its entries are. */
export function sendBatchCacheHeaders(
  reply: FastifyReply,
  cache: BatchCacheOutcome,
  graceSeconds: number,
) {
  reply.header('x-cache', cache.status)
  sendCacheControl(reply, cache.freshUntil, graceSeconds)
}

function sendCacheControl(reply: FastifyReply, freshUntil: number, graceSeconds: number) {
  const maxAge = Math.max(0, Math.floor((freshUntil - Date.now()) / 1000))
  reply.header('cache-control', `public, max-age=${maxAge}, stale-while-revalidate=${graceSeconds}`)
}

export const cacheHeaderSchemas = {
  'x-cache': {
    type: 'string',
    enum: ['HIT', 'STALE', 'MISS', 'MIXED'],
    description:
      'HIT: fresh from a cache tier; STALE: served while refreshed; MISS: loaded. A batch read (?ids=): HIT when every id came from a cache tier, MISS when every one was loaded, MIXED otherwise',
  },
  'x-cache-tier': {
    type: 'string',
    enum: ['l1', 'l2'],
    description: 'On HIT and STALE: l1 = process memory, l2 = Redis',
  },
  'cache-control': { type: 'string' },
}
