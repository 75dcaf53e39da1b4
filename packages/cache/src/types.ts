// The cache core's public contract. The core is a library: it knows nothing of HTTP or products.

import type { InvalidationBus } from './bus/invalidation-bus.js'
import type { MemoryTier } from './memory/memory-tier.js'
import type { RedisClient } from './redis/client.js'
import type { CircuitBreakerOptions, CircuitStateName } from './redis-guard.js'

/** Loads the value from the source of truth; `undefined` means "no such thing". */
export type Loader<T> = () => Promise<T | undefined>

/**
 * Loads several values in one go (one query): answers each id it found; an id left out of the
 * map means "no such thing" for that id, cached as a single read's would be.
 */
export type BatchLoader<T> = (ids: readonly string[]) => Promise<ReadonlyMap<string, T>>

/**
 * How a read was answered: `hit` from a tier while fresh; `stale` from a tier after its fresh
 * period (a refresh runs in the background) or because the loader failed (fail-safe);
 * `miss` when this read waited for a load (its own or one it joined).
 */
export type LookupStatus = 'hit' | 'stale' | 'miss'
/** `l1`: this process's memory; `l2`: Redis. */
export type CacheTier = 'l1' | 'l2'

export interface CacheLookup<T> {
  /** undefined: there is no such thing (and that, too, may have come from the cache). */
  value: T | undefined
  /** How it was answered: hit, stale or miss (see LookupStatus). */
  status: LookupStatus
  /** The tier that answered a hit or a stale read. */
  tier?: CacheTier
  /** Until when the answer is fresh (epoch ms), e.g. for an HTTP max-age. */
  freshUntil: number
}

/** What one tier holds for a key, as stored: for audits (`inspect`), not for serving. */
export interface CachedCopy<T> {
  /** undefined: the tier caches "no such thing". */
  value: T | undefined
  /** When it was loaded (epoch ms). */
  storedAt: number
  freshUntil: number
}

/** What each tier holds for one id; a tier without a copy is absent from it. */
export interface CacheInspection<T> {
  /** The Redis key, e.g. `product:v1:42`. */
  key: string
  l1?: CachedCopy<T>
  l2?: CachedCopy<T>
}

/** Redis operations the core performs, for error reporting. */
export const CACHE_OPERATIONS = ['get', 'set', 'delete', 'version', 'lease', 'tags'] as const
export type CacheOperation = (typeof CACHE_OPERATIONS)[number]

/**
 * The Redis round trips the core times, by what they do (finer than CacheOperation: `lease` is
 * `acquire` or `release`). A closed set, so it can label a metric.
 */
export type RedisCommand =
  | 'get'
  | 'set'
  | 'delete'
  | 'acquire'
  | 'fill'
  | 'release'
  | 'invalidate'
  | 'version'
  | 'tags'
  | 'publish'

/** What the core does to a tier: read an entry, store one, drop some. */
export type TierOperation = 'get' | 'set' | 'delete'

/**
 * Hooks the application wires to its metrics and logs; the core stays free of both. They run
 * inline on the read path: keep them cheap, and never let one throw (a throw fails the call).
 */
export interface CacheObserver {
  /** A read answered fresh from a tier. */
  hit?(cache: string, tier: CacheTier): void
  /** A read answered stale from a tier (a refresh runs, or the loader failed). */
  stale?(cache: string, tier: CacheTier): void
  /** A read found nothing usable in any tier (getOrSet then loads or waits for a load). */
  miss?(cache: string): void
  /** The loader ran. */
  load?(cache: string): void
  /** A caller waited for another's load (in this process or another) instead of loading. */
  coalesced?(cache: string): void
  /** A load was overtaken by an invalidation, and its result was not stored. */
  fenced?(cache: string): void
  /** A Redis call failed or timed out. Reads carry on without Redis and never throw. */
  error?(cache: string, operation: CacheOperation, error: unknown): void
  /** The Redis circuit breaker changed state. */
  circuit?(cache: string, state: CircuitStateName): void
  /**
   * Redis lost this cache's data (restarted without persistence, flushed): its epoch changed.
   * L1 was dropped and the versions raised again; what else lived only in Redis is gone.
   */
  redisReset?(cache: string): void
  /**
   * A Redis master was replaced (a failover): the writes it took last may be lost with it, an
   * invalidation among them. L1 was dropped and the key version bumped, so no entry from before
   * is served again.
   */
  redisFailover?(cache: string): void
  /** A Redis round trip ended, well or not, after `ms`; calls the open circuit refused are not timed. */
  redisCommand?(cache: string, command: RedisCommand, ms: number): void
  /**
   * A tier operation ended after `ms`: L2 includes decoding, L1 is a map lookup (timed with two
   * `performance.now()` calls, so keep this hook as cheap as the read it times).
   */
  tierOperation?(cache: string, tier: CacheTier, operation: TierOperation, ms: number): void
}

/**
 * Overrides for one call (`getOrSet`, `getFromMemory`, `set`), merged over the cache's options.
 * Each defaults to the cache's own.
 */
export interface CallOptions {
  /** How long this entry is fresh, in seconds. */
  ttlSeconds?: number
  /** How long after that it may still be served stale while it is refreshed, in seconds. */
  graceSeconds?: number
  /** How long "no such thing" is cached for this key, in seconds; 0: not at all. */
  negativeTtlSeconds?: number
  /** Tags for this entry, added to those the cache's `tags` option gives the value. */
  tags?: readonly string[]
  /**
   * How long this read waits for a load. When it is not above the cache's `leaseWaitMs`, the
   * lease wait becomes a third of it (unless `leaseWaitMs` is set too).
   */
  loaderTimeoutMs?: number
  /** How long this read waits for another instance's load before loading itself; below `loaderTimeoutMs`. */
  leaseWaitMs?: number
}

/**
 * Protections against Redis forgetting, each on by default. Switching one off is only for
 * showing what it guards against (the fault suite runs each test both ways); never in production.
 */
export interface CacheProtections {
  /**
   * Tag versions never go backwards: a tags hash Redis lost is raised back to this instance's
   * copies, so a tag invalidated after the loss still outdates entries stamped before. @default true
   */
  tagFloor?: boolean
  /** Notice Redis losing its data (its epoch changed) and drop every L1 entry. @default true */
  resetDetection?: boolean
  /**
   * A key's generation is random, never a counter that restarts at 1 after a loss, and one that
   * vanished fences the fill: a load that saw the data before a loss never stores it after. @default true
   */
  uniqueGenerations?: boolean
  /**
   * An invalidation Redis did not take is tried again in the background until it lands (and
   * the other instances told again), instead of leaving the old entry for its TTL. @default true
   */
  retryInvalidations?: boolean
  /**
   * Notice a master being replaced (a failover: asynchronous replication may have lost its last
   * invalidations), drop every L1 entry and move to a new key version. @default true
   */
  failoverDetection?: boolean
}

export interface CacheOptions<T> {
  /** Names the cache in keys and metrics labels (e.g. `product`): letters, digits, `_` and `-`. */
  name: string
  /**
   * Owned by the caller. Create it with `createRedisClient`: the cache relies on its command
   * timeout (the most a slow Redis adds to a read) and on its failing fast while disconnected.
   */
  redis: RedisClient
  /** Prepended to every key. @default '' */
  keyPrefix?: string
  /** How long an entry is fresh, in seconds. @default 300 */
  ttlSeconds?: number
  /** How long after that a stale entry may still be served while it is refreshed. @default 3600 */
  graceSeconds?: number
  /** How long "no such thing" is cached, in seconds; 0 turns negative caching off. @default 30 */
  negativeTtlSeconds?: number
  /** Up to this fraction of the lifetime is added at random, so keys expire apart. @default 0.1 */
  ttlJitter?: number
  /** First key version when Redis has none yet. @default 1 */
  initialVersion?: number
  /** How often each instance re-reads the key version and tag versions, in ms. @default 500 */
  versionRefreshMs?: number
  /** Checks a decoded value; a value that fails is treated as a miss and overwritten. */
  validate?: (value: unknown) => value is T
  /** Tags of a value, for `deleteByTag`. @default none */
  tags?: (value: T) => readonly string[]
  /** The in-process tier, shared by the app's caches. @default none (Redis only) */
  l1?: MemoryTier
  /** Carries invalidations to the other instances' L1. Needed with `l1` when several run. */
  bus?: InvalidationBus
  /**
   * How long a caller waits for another instance's load of the same key before loading itself;
   * below `loaderTimeoutMs`, so that it has time left to. @default 1000
   */
  leaseWaitMs?: number
  /**
   * How long a read waits for a load (its own, or the one it waits for), after which it fails
   * or serves stale; the load itself goes on. @default 3000
   */
  loaderTimeoutMs?: number
  /** After a failed refresh, serve the stale value this long before trying again. @default 5000 */
  failSafeBackoffMs?: number
  /** XFetch's beta: how eagerly hot keys are refreshed before expiry; 0 turns it off. @default 1 */
  earlyRefreshBeta?: number
  /** Stop calling a failing Redis for a while. @default { threshold: 0.5, samplingMs: 5000, minimumRps: 5, halfOpenAfterMs: 1000 } */
  circuitBreaker?: CircuitBreakerOptions | false
  /** See CacheProtections. @default every one on */
  protections?: CacheProtections
  /**
   * Hold a command timeout that fired late (this process's event loop was busy: the reply may
   * be sitting unread) against Redis, as a failure for the breaker and for a lease waiter. Only to
   * show what excusing them buys. @default false
   */
  countLateTimeouts?: boolean
  /**
   * "No such thing" entries are kept in a small L1 of their own, at most this many, so that a
   * flood of made-up ids cannot push real entries out of L1 (Redis still holds every one for
   * `negativeTtlSeconds`). `'shared'` keeps them in `l1` with the values: only to show what
   * keeping them apart prevents. @default 1000
   */
  absentL1MaxItems?: number | 'shared'
  /** Hooks for metrics and logs. @default none */
  observer?: CacheObserver
}
