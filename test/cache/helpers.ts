import { Redis } from 'ioredis'
import { onTestFinished, vi } from 'vitest'
import { Cache } from '../../src/cache/cache.js'
import { createRedisClient } from '../../src/cache/redis/client.js'
import { whenReady } from '../../src/cache/redis/when-ready.js'
import type { CacheObserver, CacheOptions } from '../../src/cache/types.js'
import { deleteByPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js'

/** A cache-tuned client, connected; disconnected when the test finishes. */
export async function connectClient(url = REDIS_URL, commandTimeoutMs = 500): Promise<Redis> {
  const redis = createRedisClient(url, { commandTimeoutMs, name: 'cache-test' })
  onTestFinished(() => redis.disconnect())
  if (!(await whenReady(redis, 5000))) throw new Error(`Redis at ${url} is not ready`)
  return redis
}

/** A plain client for looking at keys the way redis-cli would. */
export function adminClient(url = REDIS_URL): Redis {
  const redis = new Redis(url, { lazyConnect: false })
  redis.on('error', () => {})
  onTestFinished(() => redis.disconnect())
  return redis
}

/** A key prefix of the test's own, whose keys are deleted when it finishes. */
export function isolatedPrefix(admin: Redis): string {
  const prefix = uniquePrefix()
  onTestFinished(() => deleteByPrefix(admin, prefix))
  return prefix
}

export function spyObserver() {
  return {
    hit: vi.fn<Required<CacheObserver>['hit']>(),
    miss: vi.fn<Required<CacheObserver>['miss']>(),
    load: vi.fn<Required<CacheObserver>['load']>(),
    error: vi.fn<Required<CacheObserver>['error']>(),
  }
}

/** A started cache, closed when the test finishes. */
export async function startCache<T>(options: CacheOptions<T>): Promise<Cache<T>> {
  const cache = new Cache(options)
  onTestFinished(() => cache.close())
  await cache.start()
  return cache
}

/** A loader that counts its calls. */
export function countingLoader<T>(load: () => T | undefined) {
  return vi.fn(async () => load())
}

/** Polls `condition` until it holds; fails with `message` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  message: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting until ${message}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
