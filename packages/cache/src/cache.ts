import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BusMessage } from './bus/bus-message.js'
import type { InvalidationBus } from './bus/invalidation-bus.js'
import { decodeEntry, type Entry, encodeEntry } from './entry.js'
import { lifetimeMs, lookup, newEntry, redisTtlMs } from './entry-lifetime.js'
import { CacheUnavailableError } from './errors.js'
import { FailSafeBackoff } from './fail-safe-backoff.js'
import { isFresh, isWithinGrace, shouldRefreshEarly } from './freshness.js'
import { InvalidationRetries } from './invalidation-retries.js'
import { entryKey, keyNamespace } from './keys.js'
import { withinTimeout } from './loader-timeout.js'
import { MemoryTier } from './memory/memory-tier.js'
import { type ResolvedCacheOptions, resolveCacheOptions, resolveCallOptions } from './options.js'
import { commandTimeoutOf } from './redis/client.js'
import { type LeaseMode, RedisCoordinator } from './redis/redis-coordinator.js'
import { whenReady } from './redis/when-ready.js'
import { LateTimeoutError, RedisGuard } from './redis-guard.js'
import { SharedState } from './shared-state.js'
import type { SharedVersion } from './shared-version.js'
import { SingleFlight } from './single-flight.js'
import type { TagVersions } from './tag-versions.js'
import type {
  CacheLookup,
  CacheOptions,
  CacheTier,
  CallOptions,
  Loader,
  TierOperation,
} from './types.js'

/** How long `start()` waits for a client that is still connecting. */
const READY_WAIT_MS = 1000
/** Polling for another instance's load: quick at first, then gentler. */
const FIRST_POLL_MS = 5
const MAX_POLL_MS = 50
/**
 * Lease calls that fail while Redis is connected are retried this often before loading alone. A
 * timeout that fired late (this process was busy, see LateTimeoutError) is not a failure: the
 * caller asks again until its wait is over.
 */
const MAX_LEASE_RETRIES = 3

type Found<T> = { entry: Entry<T>; tier: CacheTier }
/** What a fill must present: the generation its load saw, and its lease token ('' without one). */
type Fence = { generation: string; token: string }

/**
 * The full strategy: an in-process L1 in front of Redis (L2), kept correct across instances.
 *
 * - Reads: L1, then L2, then one load per key in the whole cluster (single-flight in the
 *   process, a lease in Redis across processes); callers that find a load under way wait for it.
 * - Fills are fenced: a load that an invalidation overtook is not stored, in L2 (fill.lua
 *   checks the key's generation) or in this L1 (a local invalidation counter).
 * - Stale-while-revalidate: after its fresh period an entry is served at once while one refresh
 *   runs; hot keys are refreshed early (XFetch); a failed refresh keeps serving the stale value.
 * - Invalidations (delete, version bump, tags) go to Redis and over the bus to every L1.
 */
export class Cache<T> {
  readonly name: string
  readonly #options: ResolvedCacheOptions<T>
  readonly #redis: CacheOptions<T>['redis']
  readonly #namespace: string
  readonly #guard: RedisGuard
  readonly #l2: RedisCoordinator
  readonly #l1: MemoryTier | undefined
  /** Where "no such thing" entries live in memory: apart from the values (absentL1MaxItems). */
  readonly #absentL1: MemoryTier | undefined
  readonly #bus: InvalidationBus | undefined
  readonly #shared: SharedState
  readonly #version: SharedVersion
  readonly #tags: TagVersions
  readonly #loads = new SingleFlight<Entry<T> | undefined>()
  readonly #backoff: FailSafeBackoff
  readonly #retries = new InvalidationRetries()
  /** Counts invalidations this instance has made or heard of: an L1 fill is kept only if none came during its load. */
  #invalidations = 0
  #stopListening: Array<() => void> = []

  constructor(options: CacheOptions<T>) {
    const resolved = resolveCacheOptions(options)
    const { name, observer } = resolved
    this.name = name
    this.#options = resolved
    this.#redis = options.redis
    this.#namespace = keyNamespace(resolved.keyPrefix, name)
    this.#l1 = options.l1?.enabled ? options.l1 : undefined
    this.#absentL1 = this.#l1 && absentTier(resolved, this.#l1)
    this.#bus = options.bus
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
        this.#dropLocal()
        observer.redisReset(name)
      },
      onFailover: async () => {
        // The old master may have taken an invalidation its replica never got: no entry from
        // before can be trusted, in L1 or in Redis. A new key version leaves them all behind
        // (every instance that notices bumps it; a few bumps in a row cost nothing more).
        this.#dropLocal()
        await this.bumpVersion() // throws until Redis answers: SharedState asks again
        observer.redisFailover(name)
      },
    })
    this.#version = this.#shared.version
    this.#tags = this.#shared.tags
    this.#backoff = new FailSafeBackoff(resolved.failSafeBackoffMs)
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
    if (this.#bus) {
      this.#stopListening.push(
        this.#bus.onMessage((message) => {
          if (message.cache !== this.name) return
          if (message.op === 'delete') this.#dropLocal(message.keys)
          else if (message.op === 'version') {
            this.#version.observe(message.version)
            this.#invalidated()
          } else {
            this.#tags.observe(message.tags)
            this.#invalidated()
          }
        }),
        // Messages may have been lost (a gap in a peer's numbers, a silent peer, this
        // subscription deaf or back after a drop): trust no L1 entry, and re-read the versions
        // now rather than on the next tick (a lost version bump or tag invalidation).
        this.#bus.onMessagesLost(() => {
          this.#dropLocal()
          void this.#version.refresh()
          void this.#tags.refresh().catch(() => {}) // reported by the guard
        }),
      )
    }
    await whenReady(this.#redis, READY_WAIT_MS)
    await this.#shared.start()
  }

  async close(): Promise<void> {
    this.#retries.close()
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
    const loaded = await this.#load(key, loader, call)
    return lookup(loaded, 'miss')
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
    const call = resolveCallOptions(this.#options, options)
    const key = entryKey(this.#namespace, await this.#version.confirmedVersion(), id)
    const entry = newEntry(call, value, 0, this.#tags.snapshot)
    const raw = encodeEntry(entry)
    await this.#changeEverywhere(key, 'set', async () => {
      const invalidations = this.#invalidations
      const now = Date.now()
      const started = performance.now()
      try {
        await this.#guard.require('set', () =>
          this.#l2.set(key, raw, redisTtlMs(entry, now, call), this.#generationTtlMs()),
        )
      } finally {
        this.#timeTier('l2', 'set', started)
      }
      this.#keepLocally(key, entry, invalidations, now, call, raw)
    })
  }

  /**
   * Drops the entry everywhere. When Redis does not take it, the other instances are still told
   * (their L1s drop it), the call rejects with CacheUnavailableError, and the cache keeps trying
   * in the background until Redis does, telling them again then (they may have read the old
   * entry back meanwhile).
   */
  async delete(id: string): Promise<void> {
    const key = entryKey(this.#namespace, await this.#version.confirmedVersion(), id)
    await this.#changeEverywhere(key, 'delete', () => this.#invalidateL2(key))
  }

  /** Drops `key` from this L1, changes it in Redis, then tells the other instances to drop it. */
  async #changeEverywhere(key: string, what: string, change: () => Promise<void>): Promise<void> {
    this.#dropLocal([key])
    const message: BusMessage = { op: 'delete', cache: this.name, keys: [key] }
    try {
      await change()
    } catch (error) {
      this.#retryLater(`delete ${key}`, async () => {
        await this.#invalidateL2(key)
        this.#dropLocal([key]) // what this instance read back meanwhile
        await this.#publish(message)
      })
      // Queued in order on the bus; not awaited: its first attempt would fail the same way.
      void this.#publish(message)
      throw new CacheUnavailableError(this.name, what, error)
    }
    await this.#publish(message)
  }

  #retryLater(id: string, invalidate: () => Promise<void>): void {
    if (this.#options.protections.retryInvalidations) this.#retries.add(id, invalidate)
  }

  async #invalidateL2(key: string): Promise<void> {
    const started = performance.now()
    try {
      await this.#guard.require('invalidate', () =>
        this.#l2.invalidate([key], this.#generationTtlMs()),
      )
    } finally {
      this.#timeTier('l2', 'delete', started)
    }
  }

  /**
   * Drops every entry at once, in O(1): moves the key version on (every instance follows), so
   * the old keys are never read again and expire by themselves. Answers the new version.
   */
  async bumpVersion(): Promise<number> {
    let version: number
    try {
      version = await this.#version.bump()
    } catch (error) {
      throw new CacheUnavailableError(this.name, 'version bump', error)
    }
    this.#invalidated()
    await this.#publish({ op: 'version', cache: this.name, version })
    return version
  }

  /**
   * Drops every entry carrying one of these tags (from the `tags` option or a call's), in O(1)
   * Redis calls: each tag's version moves on and older entries stop being served. Rejects with
   * CacheUnavailableError when Redis does not take it, and keeps trying in the background.
   */
  async deleteByTag(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return
    const invalidate = async () => {
      const versions = await this.#tags.invalidate(tags)
      this.#invalidated()
      await this.#publish({ op: 'tags', cache: this.name, tags: versions })
    }
    try {
      await invalidate()
    } catch (error) {
      this.#retryLater(`tags ${JSON.stringify([...tags].sort())}`, invalidate)
      throw new CacheUnavailableError(this.name, 'tag invalidation', error)
    }
  }

  async #publish(message: BusMessage): Promise<void> {
    if (!this.#bus) return
    const started = performance.now()
    await this.#bus.publish(message)
    this.#options.observer.redisCommand(this.name, 'publish', performance.now() - started)
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
      this.#refreshInBackground(key, loader, found.entry.storedAt, call)
      observer.stale(this.name, found.tier)
      return lookup(found.entry, 'stale', found.tier)
    }
    if (shouldRefreshEarly(found.entry, now, earlyRefreshBeta, Math.random)) {
      this.#refreshInBackground(key, loader, found.entry.storedAt, call)
    }
    observer.hit(this.name, found.tier)
    return lookup(found.entry, 'hit', found.tier)
  }

  #fromMemory(
    id: string,
    loader: Loader<T>,
    call: ResolvedCacheOptions<T>,
  ): CacheLookup<T> | undefined {
    if (!this.#l1) return undefined
    const key = this.keyFor(id)
    const now = Date.now()
    const local = this.#readL1(key, now, call)
    return local && this.#answer(key, { entry: local, tier: 'l1' }, loader, now, call)
  }

  #readL1(key: string, now: number, call: ResolvedCacheOptions<T>): Entry<T> | undefined {
    if (!this.#l1) return undefined
    const started = performance.now()
    const entry = (this.#l1.get(key) ?? this.#absentL1?.get(key)) as Entry<T> | undefined
    this.#timeTier('l1', 'get', started)
    return entry && this.#usable(entry, now, call) ? entry : undefined
  }

  async #readL2(
    key: string,
    now: number,
    call: ResolvedCacheOptions<T>,
  ): Promise<Entry<T> | undefined> {
    // An unconfirmed version may be behind the others': skip Redis rather than read old keys.
    if (!this.#version.confirmed) return undefined
    const invalidations = this.#invalidations
    const started = performance.now()
    const read = await this.#guard.attempt('get', () => this.#l2.read(key))
    const raw = read.ok ? read.value : undefined
    const entry = raw === undefined ? undefined : this.#decode(raw, now, call)
    this.#timeTier('l2', 'get', started)
    if (entry === undefined || raw === undefined) return undefined
    this.#keepLocally(key, entry, invalidations, now, call, raw)
    return entry
  }

  #decode(raw: string, now: number, call: ResolvedCacheOptions<T>): Entry<T> | undefined {
    const entry = decodeEntry(raw) as Entry<T> | undefined
    if (entry === undefined) return undefined
    if (!entry.absent && !call.validate(entry.value)) return undefined
    return this.#usable(entry, now, call) ? entry : undefined
  }

  /** Servable at all: not outdated by a tag, not past its grace period (none for "absent"). */
  #usable(entry: Entry<T>, now: number, call: ResolvedCacheOptions<T>): boolean {
    const graceMs = entry.absent ? 0 : call.graceMs
    return isWithinGrace(entry, now, graceMs) && this.#tags.isCurrent(entry.tags)
  }

  /** One load per key: joins this process's load under way, or leads one for the cluster. */
  async #load(key: string, loader: Loader<T>, call: ResolvedCacheOptions<T>): Promise<Entry<T>> {
    const running = this.#loads.current(key)
    if (running) {
      call.observer.coalesced(this.name)
      const joined = await withinTimeout(this.name, call.loaderTimeoutMs, running)
      if (joined) return joined // a refresh that found another instance at work answers nothing
    }
    const entry = await withinTimeout(
      this.name,
      call.loaderTimeoutMs,
      this.#loads.run(key, () => this.#loadForCluster(key, loader, call)),
    )
    if (!entry) throw new Error(`Nothing was loaded for ${key}`) // 'absent' mode always loads
    return entry
  }

  /**
   * Takes the key's lease and loads, or waits for the instance holding it to fill the key.
   * A read that found nothing (`refreshing` undefined) waits for the lease holder's entry. A
   * refresh of the entry stored at `refreshing` gives way (answers undefined) when another
   * instance holds the lease, and stops when it finds the entry already replaced.
   */
  async #loadForCluster(
    key: string,
    loader: Loader<T>,
    call: ResolvedCacheOptions<T>,
    refreshing?: number,
  ) {
    const invalidations = this.#invalidations
    const load = (fence?: Fence) => this.#loadAndFill(key, loader, fence, invalidations, call)
    // As in #readL2: keys under an unconfirmed version may be old ones; neither read nor fill them.
    if (!this.#version.confirmed) return load()
    const token = randomUUID()
    const deadline = Date.now() + call.leaseWaitMs
    let mode: LeaseMode = refreshing === undefined ? 'absent' : 'always'
    let pollMs = FIRST_POLL_MS
    let waited = false
    let failures = 0
    for (;;) {
      const acquired = await this.#guard.attempt('acquire', () =>
        this.#l2.acquire(key, token, call.leaseMs, mode, this.#loadWindowMs(call)),
      )
      if (!acquired.ok) {
        const late = acquired.error instanceof LateTimeoutError
        if (
          !this.#redisAnswering() ||
          (!late && ++failures > MAX_LEASE_RETRIES) ||
          Date.now() >= deadline
        ) {
          // No lease, no fence in L2: load and keep the value in L1 only. Should a call whose
          // reply was lost have taken the lease, the others would wait for nothing: free it.
          if (this.#redisAnswering()) {
            void this.#guard.attempt('release', () => this.#l2.release(key, token))
          }
          return load()
        }
        await sleep(pollMs)
        continue
      }
      const { raw, generation, leased } = acquired.value
      const now = Date.now()
      const found = raw === undefined ? undefined : this.#decode(raw, now, call)
      const filledMeanwhile =
        found && (refreshing === undefined ? isFresh(found, now) : found.storedAt > refreshing)
      if (filledMeanwhile) {
        // By the lease holder we waited for, or by a refresh elsewhere: nothing left to load.
        if (leased) await this.#guard.attempt('release', () => this.#l2.release(key, token))
        if (waited) call.observer.coalesced(this.name)
        this.#keepLocally(key, found, invalidations, now, call, raw)
        return found
      }
      if (leased) return load({ generation, token })
      if (refreshing !== undefined) return undefined // another instance is refreshing it
      if (raw !== undefined && !found) mode = 'always' // unreadable or outdated: replace it
      if (Date.now() >= deadline) {
        // The lease holder is slow or gone: load too. The fill is still fenced.
        return load({ generation, token: '' })
      }
      waited = true
      await sleep(pollMs)
      pollMs = Math.min(MAX_POLL_MS, pollMs * 2)
    }
  }

  async #loadAndFill(
    key: string,
    loader: Loader<T>,
    fence: Fence | undefined,
    invalidations: number,
    call: ResolvedCacheOptions<T>,
  ): Promise<Entry<T>> {
    const { observer } = call
    const tagsBefore = this.#tags.snapshot
    observer.load(this.name)
    const started = performance.now()
    let value: T | undefined
    try {
      value = await loader()
    } catch (error) {
      // Free the lease now rather than let it lapse: the next try (here after the fail-safe
      // backoff, or a waiter elsewhere) need not wait out leaseMs.
      if (fence?.token)
        await this.#guard.attempt('release', () => this.#l2.release(key, fence.token))
      throw error
    }
    const entry = newEntry(call, value, performance.now() - started, tagsBefore)
    const now = Date.now()
    if (fence) {
      const fillStarted = performance.now()
      const raw = encodeEntry(entry)
      const ttlMs = redisTtlMs(entry, now, call)
      const filled = await this.#guard.attempt('fill', () =>
        this.#l2.fill(key, raw, ttlMs, fence.generation, fence.token),
      )
      this.#timeTier('l2', 'set', fillStarted)
      if (filled.ok && !filled.value) {
        observer.fenced(this.name)
        return entry // answer the caller, but store nothing: an invalidation overtook this load
      }
      this.#keepLocally(key, entry, invalidations, now, call, raw)
    } else {
      this.#keepLocally(key, entry, invalidations, now, call)
    }
    return entry
  }

  /** Refreshes the entry stored at `storedAt`, once in the cluster, without anyone waiting for it. */
  #refreshInBackground(
    key: string,
    loader: Loader<T>,
    storedAt: number,
    call: ResolvedCacheOptions<T>,
  ): void {
    if (this.#loads.current(key) || this.#backoff.active(key, Date.now())) return
    this.#loads
      .run(key, () => this.#loadForCluster(key, loader, call, storedAt))
      .catch(() => {
        // Fail-safe: keep serving the stale value; do not ask the failing source again at once.
        this.#backoff.start(key, Date.now())
      })
  }

  /**
   * Into L1, unless an invalidation came while it was being read or loaded. `raw`, the entry's
   * JSON when there is one at hand, gives its size.
   */
  #keepLocally(
    key: string,
    entry: Entry<T>,
    invalidationsBefore: number,
    now: number,
    call: ResolvedCacheOptions<T>,
    raw?: string,
  ): void {
    const tier = entry.absent ? this.#absentL1 : this.#l1
    if (!tier || this.#invalidations !== invalidationsBefore) return
    if (entry.absent && call.negativeTtlMs === 0) return
    const started = performance.now()
    const sizeBytes = raw === undefined ? undefined : Buffer.byteLength(raw)
    tier.set(key, entry, lifetimeMs(entry, now, call.graceMs), sizeBytes)
    this.#timeTier('l1', 'set', started)
  }

  /**
   * Something was invalidated: fence the L1 fills under way, and let no new reader join a load
   * (of these keys, or of any) that may have read the data before the invalidation.
   */
  #invalidated(keys?: readonly string[]): void {
    this.#invalidations++
    this.#loads.forget(keys)
  }

  /** Drops keys (or every key) from L1, as invalidated. */
  #dropLocal(keys?: readonly string[]): void {
    this.#invalidated(keys)
    if (!this.#l1) return
    const started = performance.now()
    for (const tier of new Set([this.#l1, this.#absentL1])) {
      if (keys) tier?.deleteMany(keys)
      else tier?.clear()
    }
    this.#timeTier('l1', 'delete', started)
  }

  /** Connected, and the circuit lets calls through. */
  #redisAnswering(): boolean {
    return this.#redis.status === 'ready' && this.#guard.state !== 'open'
  }

  /** How long a generation made for one load lives: a load that outlasts it is not stored. */
  #loadWindowMs(call: ResolvedCacheOptions<T>): number {
    return call.leaseMs + call.loaderTimeoutMs + 60_000
  }

  #generationTtlMs(): number {
    // Longer than any load can take, so a load never outlives the generation it must present.
    return this.#options.freshMs + this.#options.graceMs + 60_000
  }
}

/**
 * The L1 for "no such thing" entries: small, and apart from the values, so a flood of made-up
 * ids evicts only its own kind. Its entries live at most the negative TTL (at least 1 ms).
 */
function absentTier<T>(options: ResolvedCacheOptions<T>, values: MemoryTier) {
  if (options.absentL1MaxItems === 'shared') return values
  if (options.absentL1MaxItems === 0) return undefined
  return new MemoryTier({
    maxItems: options.absentL1MaxItems,
    maxBytes: 1024 * 1024, // an absent entry is about 100 bytes
    ttlMs: Math.max(1, options.negativeTtlMs),
  })
}
