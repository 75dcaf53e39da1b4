import type { Redis } from 'ioredis'
import { GuardedTier } from './guarded-tier.js'
import { entryKey, keyNamespace, versionKey } from './keys.js'
import { type ResolvedCacheOptions, resolveCacheOptions, withCallOptions } from './options.js'
import { RedisTier } from './redis/redis-tier.js'
import { RedisVersionStore } from './redis/redis-version-store.js'
import { whenReady } from './redis/when-ready.js'
import { SharedVersion } from './shared-version.js'
import { ttlWithJitterMs } from './ttl.js'
import type { CacheLookup, CacheOptions, GetOrSetOptions, Loader } from './types.js'

/** How long `start()` waits for a client that is still connecting, if it has no command timeout. */
const DEFAULT_READY_WAIT_MS = 1000

type Lookup<T> = { hit: true; value: T } | { hit: false; canFill: boolean }

/**
 * Cache-aside over Redis with versioned keys: entries live at `<prefix><name>:v<version>:<id>`,
 * and bumping the shared version invalidates them all at once.
 */
export class Cache<T> {
  readonly name: string
  readonly #options: ResolvedCacheOptions<T>
  readonly #redis: Redis
  readonly #namespace: string
  readonly #tier: GuardedTier
  readonly #version: SharedVersion
  // After a reconnect (maybe to a Redis restarted empty) re-create the version key at once.
  readonly #onReady = (): void => {
    void this.#version.refresh()
  }

  constructor(options: CacheOptions<T>) {
    const resolved = resolveCacheOptions(options)
    const { name, observer } = resolved
    this.name = name
    this.#options = resolved
    this.#redis = options.redis
    this.#namespace = keyNamespace(resolved.keyPrefix, name)
    this.#tier = new GuardedTier(new RedisTier(options.redis), (operation, error) =>
      observer.error(name, operation, error),
    )
    this.#version = new SharedVersion({
      store: new RedisVersionStore(options.redis, versionKey(this.#namespace)),
      initial: resolved.initialVersion,
      refreshMs: resolved.versionRefreshMs,
      onError: (error) => observer.error(name, 'version', error),
    })
  }

  /**
   * Reads (or creates) the shared version and keeps it fresh. Never throws: with Redis down the
   * cache starts on `initialVersion`, is bypassed, and catches up when Redis answers.
   */
  async start(): Promise<void> {
    this.#redis.off('ready', this.#onReady) // at most one listener, however often start() runs
    this.#redis.on('ready', this.#onReady)
    await whenReady(this.#redis, this.#redis.options.commandTimeout ?? DEFAULT_READY_WAIT_MS)
    await this.#version.start()
  }

  /** Stops the refresh timer. The Redis client is the caller's to quit. */
  async close(): Promise<void> {
    this.#redis.off('ready', this.#onReady)
    await this.#version.stop()
  }

  /** This instance's copy of the shared key version. */
  get version(): number {
    return this.#version.current
  }

  keyFor(id: string): string {
    return entryKey(this.#namespace, this.#version.current, id)
  }

  async get(id: string): Promise<CacheLookup<T>> {
    const found = await this.#lookup(this.keyFor(id))
    return found.hit
      ? { value: found.value, status: 'hit', tier: this.#tier.tier }
      : { value: undefined, status: 'miss' }
  }

  /**
   * Answers from Redis, or runs the loader and stores what it returns (unless undefined).
   * Redis failures are reported to the observer and never thrown; loader errors are the caller's.
   */
  async getOrSet(
    id: string,
    loader: Loader<T>,
    options?: GetOrSetOptions,
  ): Promise<CacheLookup<T>> {
    const { observer, name, ttlMs, ttlJitter } = withCallOptions(this.#options, options)
    // The fill goes to the key read, so a version bumped while the loader ran leaves this
    // (possibly stale) value under the old version, where nobody reads it.
    const key = this.keyFor(id)
    const found = await this.#lookup(key)
    if (found.hit) return { value: found.value, status: 'hit', tier: this.#tier.tier }

    observer.load(name)
    const value = await loader()
    if (value !== undefined && found.canFill) {
      await this.#tier.fill(
        key,
        { value, storedAt: Date.now() },
        ttlWithJitterMs(ttlMs, ttlJitter, Math.random),
      )
    }
    return { value, status: 'miss' }
  }

  /** Writes through; rejects (after reporting) if Redis did not take it. `undefined` deletes. */
  async set(id: string, value: T, options?: GetOrSetOptions): Promise<void> {
    const { ttlMs, ttlJitter } = withCallOptions(this.#options, options)
    const key = entryKey(this.#namespace, await this.#version.confirmedVersion(), id)
    // undefined means "no such thing" (see Loader), which is never stored.
    if (value === undefined) return this.#tier.remove(key)
    await this.#tier.write(
      key,
      { value, storedAt: Date.now() },
      ttlWithJitterMs(ttlMs, ttlJitter, Math.random),
    )
  }

  /** Invalidates one id; rejects (after reporting) if Redis did not take it, so the caller can retry. */
  async delete(id: string): Promise<void> {
    await this.#tier.remove(entryKey(this.#namespace, await this.#version.confirmedVersion(), id))
  }

  /** Invalidates every entry at once (old-version keys expire by themselves); answers the new version. */
  bumpVersion(): Promise<number> {
    return this.#version.bump()
  }

  async #lookup(key: string): Promise<Lookup<T>> {
    const { observer, name, validate } = this.#options
    // An unconfirmed version may be behind the others': skip Redis rather than serve an old entry.
    const read = this.#version.confirmed ? await this.#tier.read(key) : undefined
    const entry = read?.ok ? read.entry : undefined
    if (entry !== undefined && validate(entry.value)) {
      observer.hit(name, this.#tier.tier)
      return { hit: true, value: entry.value }
    }
    // Absent, unreadable or invalid: a miss the fill overwrites. After a failed read, though, a
    // fill would most likely fail too and add another timeout; a circuit breaker will generalise this.
    observer.miss(name)
    return { hit: false, canFill: read?.ok === true }
  }
}
