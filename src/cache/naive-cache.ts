import { GuardedTier } from './guarded-tier.js'
import { entryKey, keyNamespace, versionKey } from './keys.js'
import { type ResolvedCacheOptions, resolveCacheOptions } from './options.js'
import { RedisTier } from './redis/redis-tier.js'
import { RedisVersionStore } from './redis/redis-version-store.js'
import { whenReady } from './redis/when-ready.js'
import { RedisGuard } from './redis-guard.js'
import { SharedVersion } from './shared-version.js'
import { ttlWithJitterMs } from './ttl.js'
import type { CacheLookup, CacheOptions, Loader, ReadThroughCache, TierOperation } from './types.js'

/**
 * What the demo does, and what most code does: GET; on a miss load and SET with a TTL; DEL on
 * write. No L1, no single-flight or lease (N concurrent misses = N loads), no fencing (a slow
 * load can store a value a write has already replaced), no stale-while-revalidate, no circuit
 * breaker. Kept for teaching and for measuring what each protection of `Cache` buys
 * (`CACHE_STRATEGY=naive`). Redis failures still fall through to the loader.
 */
export class NaiveCache<T> implements ReadThroughCache<T> {
  readonly name: string
  readonly #options: ResolvedCacheOptions<T>
  readonly #redis: CacheOptions<T>['redis']
  readonly #namespace: string
  readonly #tier: GuardedTier
  readonly #version: SharedVersion

  constructor(options: CacheOptions<T>) {
    const resolved = resolveCacheOptions(options)
    this.name = resolved.name
    this.#options = resolved
    this.#redis = options.redis
    this.#namespace = keyNamespace(resolved.keyPrefix, resolved.name)
    const { observer } = resolved
    const guard = new RedisGuard({
      breaker: false,
      report: (operation, error) => observer.error(this.name, operation, error),
      time: (command, ms) => observer.redisCommand(this.name, command, ms),
    })
    this.#tier = new GuardedTier(new RedisTier(options.redis), guard)
    const versions = new RedisVersionStore(options.redis, versionKey(this.#namespace))
    this.#version = new SharedVersion({
      // Through the guard, so version calls are timed like every other Redis call.
      store: {
        sync: (atLeast) => guard.require('version', () => versions.sync(atLeast)),
        bump: (atLeast) => guard.require('version', () => versions.bump(atLeast)),
      },
      initial: resolved.initialVersion,
      refreshMs: resolved.versionRefreshMs,
      onError: () => {}, // the guard has reported it
    })
  }

  async start(): Promise<void> {
    await whenReady(this.#redis, 1000)
    await this.#version.start()
  }

  close(): Promise<void> {
    return this.#version.stop()
  }

  get version(): number {
    return this.#version.current
  }

  keyFor(id: string): string {
    return entryKey(this.#namespace, this.#version.current, id)
  }

  getFromMemory(): undefined {
    return undefined // no L1
  }

  async getOrSet(id: string, loader: Loader<T>): Promise<CacheLookup<T>> {
    const { observer, validate, freshMs, ttlJitter } = this.#options
    const key = this.keyFor(id)
    const readStarted = performance.now()
    const read = await this.#tier.read(key)
    this.#timeTier('get', readStarted)
    const entry = read.ok ? read.value : undefined
    if (entry && !entry.absent && validate(entry.value)) {
      observer.hit(this.name, 'l2')
      return { value: entry.value, status: 'hit', tier: 'l2', freshUntil: entry.freshUntil }
    }
    observer.miss(this.name)
    observer.load(this.name)
    const value = await loader()
    const storedAt = Date.now()
    const freshUntil = storedAt + freshMs
    if (value !== undefined) {
      // Whole milliseconds (Redis rejects `PX 1000.5`), with jitter like any cache-aside TTL.
      const ttlMs = ttlWithJitterMs(freshMs, ttlJitter, Math.random)
      const fillStarted = performance.now()
      await this.#tier.fill(key, { value, storedAt, freshUntil, loadMs: 0 }, ttlMs)
      this.#timeTier('set', fillStarted)
    }
    return { value, status: 'miss', freshUntil }
  }

  async delete(id: string): Promise<void> {
    const key = entryKey(this.#namespace, await this.#version.confirmedVersion(), id)
    const started = performance.now()
    try {
      await this.#tier.remove(key)
    } finally {
      this.#timeTier('delete', started)
    }
  }

  bumpVersion(): Promise<number> {
    return this.#version.bump()
  }

  /** Naive has no tags: nothing it stores carries one. */
  async invalidateTags(): Promise<void> {}

  /** Naive has one tier, Redis. */
  #timeTier(operation: TierOperation, started: number): void {
    this.#options.observer.tierOperation(this.name, 'l2', operation, performance.now() - started)
  }
}
