import type { CacheOptions } from '@caching-strategies/cache'
import { onTestFinished } from 'vitest'
import { NaiveCache } from '../../src/strategies/naive-cache.js'

/** A started NaiveCache (the "protections off" strategy), closed when the test finishes. */
export async function startNaive<T>(options: CacheOptions<T>): Promise<NaiveCache<T>> {
  const cache = new NaiveCache(options)
  onTestFinished(() => cache.close())
  await cache.start()
  return cache
}
