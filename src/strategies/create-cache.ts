import { Cache, type CacheOptions } from '@caching-strategies/cache'
import { NaiveCache } from './naive-cache.js'
import { NoCache } from './no-cache.js'
import type { ReadThroughCache } from './read-through-cache.js'

export const CACHE_STRATEGIES = ['full', 'naive', 'none'] as const
/**
 * `full`: L1 + Redis with every protection (the default); `naive`: plain cache-aside over
 * Redis, what the demo does; `none`: no cache, every read loads.
 */
export type CacheStrategy = (typeof CACHE_STRATEGIES)[number]

export function createCache<T>(
  strategy: CacheStrategy,
  options: CacheOptions<T>,
): ReadThroughCache<T> {
  if (strategy === 'naive') return new NaiveCache(options)
  if (strategy === 'none') return new NoCache(options.name)
  return new Cache(options)
}
