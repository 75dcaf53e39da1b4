// CONTRACT for the cache core. The core is a library: it knows nothing of HTTP or products.
import type { Redis } from 'ioredis'

/** Loads the value from the source of truth; `undefined` means "no such thing" (not cached). */
export type Loader<T> = () => Promise<T | undefined>

/** Where a read was answered from. `miss` means the loader ran (or Redis failed and we fell through). */
export type LookupStatus = 'hit' | 'miss'
/** Cache tiers; only `l2` (Redis) exists today, an in-process `l1` comes next. */
export type CacheTier = 'l1' | 'l2'

export interface CacheLookup<T> {
  value: T | undefined
  status: LookupStatus
  /** The tier that answered a hit. */
  tier?: CacheTier
}

/** Redis operations the core performs, for error reporting and (later) latency metrics. */
export type CacheOperation = 'get' | 'set' | 'delete' | 'version'

/** Hooks the application wires to its metrics and logs; the core stays free of both. */
export interface CacheObserver {
  hit?(cache: string, tier: CacheTier): void
  miss?(cache: string): void
  load?(cache: string): void
  /**
   * A Redis call failed or timed out. Reads and fills carry on without Redis and never throw
   * (a read falls through to the loader); `set`, `delete` and `bumpVersion`, which a caller asked
   * for, also reject so that an invalidation that did not happen can be retried.
   */
  error?(cache: string, operation: CacheOperation, error: unknown): void
}

export interface CacheOptions<T> {
  /** Names the cache in keys and metrics labels (e.g. `product`): letters, digits, `_` and `-`. */
  name: string
  /**
   * Owned by the caller. Create it with `createRedisClient`: the cache relies on its command
   * timeout (the most a slow Redis adds to a read) and on its failing fast while disconnected.
   */
  redis: Redis
  /** Prepended to every key. @default '' */
  keyPrefix?: string
  /** Time to live of an entry in seconds. @default 300 */
  ttlSeconds?: number
  /** Up to this fraction of the TTL is added at random, so keys written together expire apart. @default 0.1 */
  ttlJitter?: number
  /** First key version when Redis has none yet. @default 1 */
  initialVersion?: number
  /** How often each instance re-reads the shared key version, in ms. @default 500 */
  versionRefreshMs?: number
  /** Checks a decoded value; a value that fails is treated as a miss and overwritten. */
  validate?: (value: unknown) => value is T
  observer?: CacheObserver
}

/** Per-call overrides for `getOrSet` and `set`: a shallow merge over the cache's resolved options. */
export interface GetOrSetOptions {
  ttlSeconds?: number
}
