import { Redis } from 'ioredis'
import { onTestFinished, vi } from 'vitest'
import { deleteByPrefix, uniquePrefix } from '../../../test/support/redis.js'
import { suiteRedisTarget } from '../../../test/support/topology.js'
import { InvalidationBus } from '../src/bus/invalidation-bus.js'
import { Cache } from '../src/cache.js'
import type { Entry } from '../src/entry.js'
import { connect, createRedisClient, type RedisClient } from '../src/redis/client.js'
import { whenReady } from '../src/redis/when-ready.js'
import type { CacheObserver, CacheOptions } from '../src/types.js'

/**
 * A cache-tuned client, connected; disconnected when the test finishes. Without a URL, to the
 * suite's Redis, whichever topology the project runs on (test/support/topology.ts).
 */
export async function connectClient(url: string, commandTimeoutMs?: number): Promise<Redis>
export async function connectClient(
  url?: undefined,
  commandTimeoutMs?: number,
): Promise<RedisClient>
export async function connectClient(url?: string, commandTimeoutMs = 500): Promise<RedisClient> {
  const target = url === undefined ? suiteRedisTarget() : { mode: 'standalone' as const, url }
  const redis = createRedisClient(target, { commandTimeoutMs, name: 'cache-test' })
  onTestFinished(() => redis.disconnect())
  if (!(await whenReady(redis, 5000))) throw new Error(`Redis (${target.mode}) is not ready`)
  return redis
}

/** A plain client for looking at keys the way redis-cli would (on the suite's Redis without a URL). */
export function adminClient(url: string): Redis
export function adminClient(url?: undefined): RedisClient
export function adminClient(url?: string): RedisClient {
  const redis = url === undefined ? connect(suiteRedisTarget(), {}) : new Redis(url)
  redis.on('error', () => {})
  onTestFinished(() => redis.disconnect())
  return redis
}

/**
 * A key prefix of the test's own, whose keys are deleted when it finishes: the entries, and
 * their lease and generation keys, which start with `{<entry key>}` (see redis-coordinator.ts).
 */
export function isolatedPrefix(admin: RedisClient): string {
  const prefix = uniquePrefix()
  onTestFinished(async () => {
    await deleteByPrefix(admin, prefix)
    await deleteByPrefix(admin, `{${prefix}`)
  })
  return prefix
}

/** Every observer hook, as a spy. */
export function spyObserver() {
  return {
    hit: vi.fn<Required<CacheObserver>['hit']>(),
    stale: vi.fn<Required<CacheObserver>['stale']>(),
    miss: vi.fn<Required<CacheObserver>['miss']>(),
    load: vi.fn<Required<CacheObserver>['load']>(),
    coalesced: vi.fn<Required<CacheObserver>['coalesced']>(),
    fenced: vi.fn<Required<CacheObserver>['fenced']>(),
    error: vi.fn<Required<CacheObserver>['error']>(),
    circuit: vi.fn<Required<CacheObserver>['circuit']>(),
  }
}

/** A started cache, closed when the test finishes. */
export async function startCache<T>(options: CacheOptions<T>): Promise<Cache<T>> {
  const cache = new Cache(options)
  onTestFinished(() => cache.close())
  await cache.start()
  return cache
}

/** A started bus on `channel`, closed when the test finishes. */
export async function startBus(publisher: RedisClient, channel: string): Promise<InvalidationBus> {
  const bus = new InvalidationBus({ publisher, channel })
  onTestFinished(() => bus.close())
  await bus.start()
  return bus
}

/** A loader that counts its calls. */
export function countingLoader<T>(load: () => T | undefined) {
  return vi.fn(async () => load())
}

export interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

/** A promise the test settles when it chooses: how a loader is held mid-load. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** A stored entry in the current format, fresh for `freshForMs` from now. */
export function entryOf<T>(value: T, freshForMs = 60_000): Entry<T> {
  const storedAt = Date.now()
  return { value, storedAt, freshUntil: storedAt + freshForMs, loadMs: 1 }
}

/**
 * Options for `expect.poll` (and `vi.waitFor`) in these tests: 5 s, past any wait a cache sets up
 * here even on a busy CI, looking every 10 ms. A test that waits longer says so with `timeout`.
 */
export const POLL = { timeout: 5000, interval: 10 } as const
