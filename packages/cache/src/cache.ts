import { CacheWrites } from './cache-writes.js'
import { ClusterLoader } from './cluster-loader.js'
import { decodeEntry, type Entry } from './entry.js'
import { decodeServable, isServable, lookup } from './entry-lifetime.js'
import { isFresh, shouldRefreshEarly } from './freshness.js'
import { entryKey, keyNamespace } from './keys.js'
import { type BatchItem, loadOne } from './load-parts.js'
import { LocalCopies } from './local-copies.js'
import { type ResolvedCacheOptions, resolveCacheOptions, resolveCallOptions } from './options.js'
import { commandTimeoutOf } from './redis/client.js'
import { RedisCoordinator } from './redis/redis-coordinator.js'
import { whenReady } from './redis/when-ready.js'
import { RedisGuard } from './redis-guard.js'
import { SharedState } from './shared-state.js'
import type { SharedVersion } from './shared-version.js'
import type { TagVersions } from './tag-versions.js'
import type {
  BatchLoader,
  CachedCopy,
  CacheInspection,
  CacheLookup,
  CacheOptions,
  CacheTier,
  CallOptions,
  Loader,
  TierOperation,
} from './types.js'

/** How long `start()` waits for a client that is still connecting. */
const READY_WAIT_MS = 1000

type Found<T> = { entry: Entry<T>; tier: CacheTier }

/**
 * A two-tier cache: an in-process L1 in front of Redis (L2), kept correct across instances.
 *
 * - Reads: L1, then L2, then one load per key in the whole cluster (ClusterLoader: single-flight
 *   in the process, a lease in Redis across processes); callers that find a load under way wait.
 * - Fills are fenced: a load that an invalidation overtook is not stored, in L2 (fill.lua
 *   checks the key's generation) or in this L1 (a local invalidation counter).
 * - Stale-while-revalidate: after its fresh period an entry is served at once while one refresh
 *   runs; hot keys are refreshed early (XFetch); a failed refresh keeps serving the stale value.
 * - Writes and invalidations (set, delete, version bump, tags) go to Redis and over the bus to
 *   every L1 (CacheWrites).
 */
export class Cache<T> {
  /** The `name` option: the first segment of its keys, and its label in observer calls. */
  readonly name: string
  readonly #options: ResolvedCacheOptions<T>
  readonly #redis: CacheOptions<T>['redis']
  readonly #namespace: string
  readonly #guard: RedisGuard
  readonly #l2: RedisCoordinator
  readonly #local: LocalCopies<T>
  readonly #loader: ClusterLoader<T>
  readonly #writes: CacheWrites<T>
  readonly #shared: SharedState
  readonly #version: SharedVersion
  readonly #tags: TagVersions
  #stopListening: Array<() => void> = []

  constructor(options: CacheOptions<T>) {
    const resolved = resolveCacheOptions(options)
    const { name, observer } = resolved
    this.name = name
    this.#options = resolved
    this.#redis = options.redis
    this.#namespace = keyNamespace(resolved.keyPrefix, name)
    this.#local = new LocalCopies(options.l1, resolved, (operation, started) =>
      this.#timeTier('l1', operation, started),
    )
    this.#guard = new RedisGuard({
      breaker: resolved.circuitBreaker,
      report: (operation, error) => observer.error(name, operation, error),
      onStateChange: (state) => observer.circuit(name, state),
      time: (command, ms) => observer.redisCommand(name, command, ms),
      commandTimeoutMs: commandTimeoutOf(options.redis),
      countLateTimeouts: resolved.countLateTimeouts,
    })
    this.#l2 = new RedisCoordinator(options.redis, resolved.protections)
    this.#shared = new SharedState(options.redis, this.#namespace, this.#guard, {
      initialVersion: resolved.initialVersion,
      refreshMs: resolved.versionRefreshMs,
      protections: resolved.protections,
      onReset: () => {
        // Nothing L1 holds can be trusted: it may predate writes whose news Redis lost.
        this.#writes.dropLocal()
        observer.redisReset(name)
      },
      onFailover: async () => {
        // The old master may have taken an invalidation its replica never got: no entry from
        // before can be trusted, in L1 or in Redis. A new key version leaves them all behind
        // (every instance that notices bumps it; a few bumps in a row cost nothing more).
        this.#writes.dropLocal()
        await this.bumpVersion() // throws until Redis answers: SharedState asks again
        observer.redisFailover(name)
      },
    })
    this.#version = this.#shared.version
    this.#tags = this.#shared.tags
    this.#loader = new ClusterLoader({
      name,
      guard: this.#guard,
      l2: this.#l2,
      version: this.#version,
      tags: this.#tags,
      local: this.#local,
      redisAnswering: () => this.#redis.status === 'ready' && this.#guard.state !== 'open',
      timeFill: (started) => this.#timeTier('l2', 'set', started),
      failSafeBackoffMs: resolved.failSafeBackoffMs,
    })
    this.#writes = new CacheWrites({
      name,
      options: resolved,
      namespace: this.#namespace,
      guard: this.#guard,
      l2: this.#l2,
      local: this.#local,
      loader: this.#loader,
      version: this.#version,
      tags: this.#tags,
      bus: options.bus,
      timeTier: (tier, operation, started) => this.#timeTier(tier, operation, started),
    })
  }

  /** Reads (or creates) the shared versions and keeps them fresh. Never throws. */
  async start(): Promise<void> {
    const onReady = () => {
      void this.#shared.checkMasters()
      void this.#shared.checkEpoch()
      void this.#version.refresh()
    }
    this.#redis.on('ready', onReady)
    this.#stopListening.push(() => this.#redis.off('ready', onReady))
    this.#stopListening.push(...this.#writes.listen())
    await whenReady(this.#redis, READY_WAIT_MS)
    await this.#shared.start()
  }

  /**
   * Stops its timers and listeners and the background retries. The Redis client, the bus and
   * the MemoryTier are the caller's: close them after every cache using them. Call it once.
   */
  async close(): Promise<void> {
    this.#writes.close()
    for (const stop of this.#stopListening) stop()
    this.#stopListening = []
    await this.#shared.stop()
  }

  /** The key version: `bumpVersion` moves it on, leaving every entry of the old one behind. */
  get version(): number {
    return this.#version.current
  }

  /** The Redis key of an entry, e.g. `product:v1:42` (what redis-cli shows). */
  keyFor(id: string): string {
    return entryKey(this.#namespace, this.#version.current, id)
  }

  /**
   * What this process's memory (L1) holds, answered without a promise: a hit, or a stale value
   * while a refresh runs; undefined: call getOrSet. Counted and refreshed exactly as getOrSet
   * would; the loader is for that refresh.
   */
  getFromMemory(id: string, loader: Loader<T>, options?: CallOptions): CacheLookup<T> | undefined {
    return this.#fromMemory(id, loader, resolveCallOptions(this.#options, options))
  }

  /**
   * The value for `id`: from L1, else Redis, else loaded by one caller in the whole cluster
   * while the others wait for it. A stale entry is answered at once while one refresh runs;
   * when the loader fails, a stale entry is served instead (fail-safe). Rejects with the
   * loader's own error, or LoaderTimeoutError, only when there is nothing to serve.
   */
  async getOrSet(id: string, loader: Loader<T>, options?: CallOptions): Promise<CacheLookup<T>> {
    const call = resolveCallOptions(this.#options, options)
    // Fresh or stale, what L1 holds is answered at once. A stale one is not worth a Redis
    // round trip first: the refresh it starts finds a fresher copy there if another instance
    // has made one, and keeps it.
    const inMemory = this.#fromMemory(id, loader, call)
    if (inMemory) return inMemory
    const key = this.keyFor(id)
    const now = Date.now()
    const shared = await this.#readL2(key, now, call)
    if (shared) return this.#answer(key, { entry: shared, tier: 'l2' }, loader, now, call)
    call.observer.miss(this.name)
    const loaded = await this.#loader.load(key, loader, call)
    return lookup(loaded, 'miss')
  }

  /**
   * getOrSet for many ids at once: one pass over L1, one Redis round trip for the rest, then one
   * batch loader call for the ids this instance must load (their leases taken together), while
   * ids another instance is loading are waited for. Answers in the order of `ids` (an id asked
   * twice is answered twice). Stale entries are served at once and refreshed one id at a time.
   */
  async getMany(
    ids: readonly string[],
    batchLoader: BatchLoader<T>,
    options?: CallOptions,
  ): Promise<CacheLookup<T>[]> {
    const call = resolveCallOptions(this.#options, options)
    const answers = new Map<string, CacheLookup<T>>()
    const cold: string[] = []
    for (const id of new Set(ids)) {
      const local = this.#fromMemory(id, loadOne(batchLoader, id), call)
      if (local) answers.set(id, local)
      else cold.push(id)
    }
    if (cold.length > 0) await this.#getManyFromRedis(cold, batchLoader, call, answers)
    return ids.map((id) => answers.get(id) as CacheLookup<T>)
  }

  async #getManyFromRedis(
    ids: readonly string[],
    batchLoader: BatchLoader<T>,
    call: ResolvedCacheOptions<T>,
    answers: Map<string, CacheLookup<T>>,
  ): Promise<void> {
    const keys = ids.map((id) => this.keyFor(id))
    const now = Date.now()
    const shared = await this.#readManyL2(keys, now, call)
    const missing: BatchItem[] = []
    ids.forEach((id, i) => {
      const key = keys[i] as string
      const entry = shared[i]
      if (entry) {
        const found = { entry, tier: 'l2' as const }
        answers.set(id, this.#answer(key, found, loadOne(batchLoader, id), now, call))
      } else {
        call.observer.miss(this.name)
        missing.push({ key, id })
      }
    })
    if (missing.length === 0) return
    const loaded = await this.#loader.loadMany(missing, batchLoader, call)
    for (const { key, id } of missing) {
      answers.set(id, lookup(loaded.get(key) as Entry<T>, 'miss'))
    }
  }

  /**
   * What L1 and Redis each hold for `id`, fresh, stale or outdated by a tag alike: for audits
   * such as a consistency check. Counts no read and refreshes nothing. Never throws: a tier that
   * cannot be read is reported to the observer and left out.
   */
  async inspect(id: string): Promise<CacheInspection<T>> {
    const key = this.keyFor(id)
    const inspection: CacheInspection<T> = { key }
    const local = this.#local.peek(key)
    if (local) inspection.l1 = copyOf(local)
    if (this.#version.confirmed) {
      const read = await this.#guard.attempt('get', () => this.#l2.read(key))
      const shared = read.ok && read.value !== undefined ? decodeEntry(read.value) : undefined
      if (shared) inspection.l2 = copyOf(shared as Entry<T>)
    }
    return inspection
  }

  /**
   * The fresh value cached for `id` (L1, then Redis), or undefined: nothing cached, only a stale
   * entry, or "no such thing". Never loads.
   */
  async get(id: string): Promise<T | undefined> {
    const call = this.#options
    const key = this.keyFor(id)
    const now = Date.now()
    let found: Found<T> | undefined
    const local = this.#readL1(key, now, call)
    if (local) found = { entry: local, tier: 'l1' }
    else {
      const shared = await this.#readL2(key, now, call)
      if (shared) found = { entry: shared, tier: 'l2' }
    }
    if (!found || !isFresh(found.entry, now)) {
      call.observer.miss(this.name)
      return undefined
    }
    call.observer.hit(this.name, found.tier)
    return found.entry.value
  }

  /**
   * Stores a value the application has just written to its source of truth, in Redis and in this
   * L1; the other instances drop their copies. A load of `id` under way, which read the source
   * before the write, is fenced and cannot store over it. Rejects with CacheUnavailableError when
   * Redis did not take it (the old entry is then invalidated in the background).
   */
  async set(id: string, value: T, options?: CallOptions): Promise<void> {
    await this.#writes.set(id, value, resolveCallOptions(this.#options, options))
  }

  /**
   * Drops the entry everywhere. When Redis does not take it, the other instances are still told
   * (their L1s drop it), the call rejects with CacheUnavailableError, and the cache keeps trying
   * in the background until Redis does, telling them again then (they may have read the old
   * entry back meanwhile).
   */
  async delete(id: string): Promise<void> {
    await this.#writes.delete(id)
  }

  /**
   * Drops every entry at once, in O(1): moves the key version on (every instance follows), so
   * the old keys are never read again and expire by themselves. Answers the new version.
   */
  async bumpVersion(): Promise<number> {
    return await this.#writes.bumpVersion()
  }

  /**
   * Drops every entry carrying one of these tags (from the `tags` option or a call's), in O(1)
   * Redis calls: each tag's version moves on and older entries stop being served. Rejects with
   * CacheUnavailableError when Redis does not take it, and keeps trying in the background.
   */
  async deleteByTag(tags: readonly string[]): Promise<void> {
    await this.#writes.deleteByTag(tags)
  }

  #timeTier(tier: CacheTier, operation: TierOperation, started: number): void {
    this.#options.observer.tierOperation(this.name, tier, operation, performance.now() - started)
  }

  /**
   * A usable entry from a tier: a hit while fresh (refreshed early when XFetch says so), else
   * stale, served while one refresh runs in the background.
   */
  #answer(
    key: string,
    found: Found<T>,
    loader: Loader<T>,
    now: number,
    call: ResolvedCacheOptions<T>,
  ): CacheLookup<T> {
    const { earlyRefreshBeta, observer } = call
    if (!isFresh(found.entry, now)) {
      this.#loader.refreshInBackground(key, loader, found.entry.storedAt, call)
      observer.stale(this.name, found.tier)
      return lookup(found.entry, 'stale', found.tier)
    }
    if (shouldRefreshEarly(found.entry, now, earlyRefreshBeta, Math.random)) {
      this.#loader.refreshInBackground(key, loader, found.entry.storedAt, call)
    }
    observer.hit(this.name, found.tier)
    return lookup(found.entry, 'hit', found.tier)
  }

  #fromMemory(
    id: string,
    loader: Loader<T>,
    call: ResolvedCacheOptions<T>,
  ): CacheLookup<T> | undefined {
    if (!this.#local.enabled) return undefined
    const key = this.keyFor(id)
    const now = Date.now()
    const local = this.#readL1(key, now, call)
    return local && this.#answer(key, { entry: local, tier: 'l1' }, loader, now, call)
  }

  #readL1(key: string, now: number, call: ResolvedCacheOptions<T>): Entry<T> | undefined {
    const entry = this.#local.read(key)
    return entry && isServable(entry, now, call, this.#tags) ? entry : undefined
  }

  async #readL2(
    key: string,
    now: number,
    call: ResolvedCacheOptions<T>,
  ): Promise<Entry<T> | undefined> {
    // An unconfirmed version may be behind the others': skip Redis rather than read old keys.
    if (!this.#version.confirmed) return undefined
    const invalidations = this.#local.invalidations
    const started = performance.now()
    const read = await this.#guard.attempt('get', () => this.#l2.read(key))
    const entry = this.#decodeAndKeep(
      key,
      read.ok ? read.value : undefined,
      invalidations,
      now,
      call,
    )
    this.#timeTier('l2', 'get', started)
    return entry
  }

  /** #readL2 for several keys, in one round trip. */
  async #readManyL2(
    keys: readonly string[],
    now: number,
    call: ResolvedCacheOptions<T>,
  ): Promise<(Entry<T> | undefined)[]> {
    if (!this.#version.confirmed) return []
    const invalidations = this.#local.invalidations
    const started = performance.now()
    const read = await this.#guard.attempt('get', () => this.#l2.readMany(keys))
    const entries = keys.map((key, i) =>
      this.#decodeAndKeep(key, read.ok ? read.value[i] : undefined, invalidations, now, call),
    )
    this.#timeTier('l2', 'get', started)
    return entries
  }

  /** A servable entry read from Redis, also kept in L1 (unless an invalidation came meanwhile). */
  #decodeAndKeep(
    key: string,
    raw: string | undefined,
    invalidations: number,
    now: number,
    call: ResolvedCacheOptions<T>,
  ): Entry<T> | undefined {
    const entry = raw === undefined ? undefined : decodeServable(raw, now, call, this.#tags)
    if (entry && raw !== undefined) this.#local.keep(key, entry, invalidations, now, call, raw)
    return entry
  }
}

function copyOf<T>(entry: Entry<T>): CachedCopy<T> {
  return { value: entry.value, storedAt: entry.storedAt, freshUntil: entry.freshUntil }
}
