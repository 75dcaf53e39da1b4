import type { FastifyReply } from 'fastify'
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
  const maxAge = Math.max(0, Math.floor((cache.freshUntil - Date.now()) / 1000))
  reply.header('cache-control', `public, max-age=${maxAge}, stale-while-revalidate=${graceSeconds}`)
}

export const cacheHeaderSchemas = {
  'x-cache': {
    type: 'string',
    enum: ['HIT', 'STALE', 'MISS'],
    description: 'HIT: fresh from a cache tier; STALE: served while refreshed; MISS: loaded',
  },
  'x-cache-tier': {
    type: 'string',
    enum: ['l1', 'l2'],
    description: 'On HIT and STALE: l1 = process memory, l2 = Redis',
  },
  'cache-control': { type: 'string' },
}
