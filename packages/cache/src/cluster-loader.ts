import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Entry, encodeEntry } from './entry.js'
import { decodeServable, newEntry, redisTtlMs } from './entry-lifetime.js'
import { FailSafeBackoff } from './fail-safe-backoff.js'
import { isFresh } from './freshness.js'
import { withinTimeout } from './loader-timeout.js'
import type { LocalCopies } from './local-copies.js'
import type { ResolvedCacheOptions } from './options.js'
import type { Fill, LeaseMode, RedisCoordinator } from './redis/redis-coordinator.js'
import { LateTimeoutError, type RedisGuard } from './redis-guard.js'
import type { SharedVersion } from './shared-version.js'
import { SingleFlight } from './single-flight.js'
import type { TagVersions } from './tag-versions.js'
import type { BatchLoader, Loader } from './types.js'

/** Polling for another instance's load: quick at first, then gentler. */
const FIRST_POLL_MS = 5
const MAX_POLL_MS = 50
/**
 * Lease calls that fail while Redis is connected are retried this often before loading alone. A
 * timeout that fired late (this process was busy, see LateTimeoutError) is not a failure: the
 * caller asks again until its wait is over.
 */
const MAX_LEASE_RETRIES = 3

/** What a fill must present: the generation its load saw, and its lease token ('' without one). */
type Fence = { generation: string; token: string }

/** One key of a batch: its id (what the batch loader is asked for) and, once known, its fence. */
export interface BatchItem {
  key: string
  id: string
}

export interface ClusterLoaderParts<T> {
  name: string
  guard: RedisGuard
  l2: RedisCoordinator
  version: SharedVersion
  tags: TagVersions
  local: LocalCopies<T>
  /** Connected, and the circuit lets calls through. */
  redisAnswering: () => boolean
  /** Times a fill of Redis from `started`. */
  timeFill: (started: number) => void
  failSafeBackoffMs: number
}

/**
 * One load per key in the whole cluster: single-flight in this process, a lease in Redis across
 * processes, and fenced fills (fill.lua stores a load only if no invalidation overtook it).
 * Callers that find a load under way, here or elsewhere, wait for its entry instead of loading.
 */
export class ClusterLoader<T> {
  readonly #parts: ClusterLoaderParts<T>
  readonly #loads = new SingleFlight<Entry<T> | undefined>()
  readonly #backoff: FailSafeBackoff

  constructor(parts: ClusterLoaderParts<T>) {
    this.#parts = parts
    this.#backoff = new FailSafeBackoff(parts.failSafeBackoffMs)
  }

  /**
   * Stops handing out the loads under way for `keys` (or every key) to new readers: they may
   * have read the data before an invalidation (their fills are fenced).
   */
  forget(keys?: readonly string[]): void {
    this.#loads.forget(keys)
  }

  /** Joins this process's load of `key` under way, or leads one for the cluster. */
  async load(key: string, loader: Loader<T>, call: ResolvedCacheOptions<T>): Promise<Entry<T>> {
    const running = this.#loads.current(key)
    if (running) {
      call.observer.coalesced(this.#parts.name)
      const joined = await withinTimeout(this.#parts.name, call.loaderTimeoutMs, running)
      if (joined) return joined // a refresh that found another instance at work answers nothing
    }
    const entry = await withinTimeout(
      this.#parts.name,
      call.loaderTimeoutMs,
      this.#loads.run(key, () => this.#loadForCluster(key, loader, call)),
    )
    if (!entry) throw new Error(`Nothing was loaded for ${key}`) // 'absent' mode always loads
    return entry
  }

  /**
   * `load` for several keys: joins the loads under way in this process, and leads one for the
   * rest, in which this process takes their leases together, calls the batch loader once for
   * the keys it leased (and once more, after the lease wait, for keys whose holder never filled
   * them), and waits for the keys another instance is loading.
   */
  async loadMany(
    items: readonly BatchItem[],
    batchLoader: BatchLoader<T>,
    call: ResolvedCacheOptions<T>,
  ): Promise<Map<string, Entry<T>>> {
    const waits = new Map<string, Promise<Entry<T> | undefined>>()
    const lead: BatchItem[] = []
    for (const item of items) {
      const running = this.#loads.current(item.key)
      if (running) {
        call.observer.coalesced(this.#parts.name)
        waits.set(item.key, running)
      } else lead.push(item)
    }
    if (lead.length > 0) {
      const batch = this.#loadBatchForCluster(lead, batchLoader, call)
      // Each key's load is registered, so single reads and other batches here join it.
      for (const { key } of lead) {
        waits.set(
          key,
          this.#loads.run(key, async () => (await batch).get(key)),
        )
      }
    }
    const entries = await withinTimeout(
      this.#parts.name,
      call.loaderTimeoutMs,
      Promise.all(
        items.map(async ({ key, id }) => {
          const entry = await waits.get(key)
          // A refresh that gave way to another instance answers nothing: load this one alone.
          return [key, entry ?? (await this.load(key, loadOne(batchLoader, id), call))] as const
        }),
      ),
    )
    return new Map(entries)
  }

  /** Refreshes the entry stored at `storedAt`, once in the cluster, without anyone waiting for it. */
  refreshInBackground(
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
    const { guard, l2, local, redisAnswering } = this.#parts
    const invalidations = local.invalidations
    const load = (fence?: Fence) => this.#loadAndFill(key, loader, fence, invalidations, call)
    // Keys under an unconfirmed version may be old ones: neither read nor fill them.
    if (!this.#parts.version.confirmed) return load()
    const token = randomUUID()
    const deadline = Date.now() + call.leaseWaitMs
    let mode: LeaseMode = refreshing === undefined ? 'absent' : 'always'
    let pollMs = FIRST_POLL_MS
    let waited = false
    let failures = 0
    for (;;) {
      const acquired = await guard.attempt('acquire', () =>
        l2.acquire(key, token, call.leaseMs, mode, loadWindowMs(call)),
      )
      if (!acquired.ok) {
        const late = acquired.error instanceof LateTimeoutError
        if (
          !redisAnswering() ||
          (!late && ++failures > MAX_LEASE_RETRIES) ||
          Date.now() >= deadline
        ) {
          // No lease, no fence in L2: load and keep the value in L1 only. Should a call whose
          // reply was lost have taken the lease, the others would wait for nothing: free it.
          if (redisAnswering()) void guard.attempt('release', () => l2.release(key, token))
          return load()
        }
        await sleep(pollMs)
        continue
      }
      const { raw, generation, leased } = acquired.value
      const now = Date.now()
      const found = raw === undefined ? undefined : decodeServable(raw, now, call, this.#parts.tags)
      const filledMeanwhile =
        found && (refreshing === undefined ? isFresh(found, now) : found.storedAt > refreshing)
      if (filledMeanwhile) {
        // By the lease holder we waited for, or by a refresh elsewhere: nothing left to load.
        if (leased) await guard.attempt('release', () => l2.release(key, token))
        if (waited) call.observer.coalesced(this.#parts.name)
        local.keep(key, found, invalidations, now, call, raw)
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

  /** #loadForCluster for a batch of cold keys, with one lease call and one loader call per round. */
  async #loadBatchForCluster(
    items: readonly BatchItem[],
    batchLoader: BatchLoader<T>,
    call: ResolvedCacheOptions<T>,
  ): Promise<Map<string, Entry<T>>> {
    const { guard, l2, local, redisAnswering } = this.#parts
    const invalidations = local.invalidations
    const found = new Map<string, Entry<T>>()
    const loads: Promise<void>[] = []
    const load = (batch: readonly FencedItem[]) => {
      if (batch.length === 0) return
      loads.push(
        this.#loadAndFillMany(batch, batchLoader, invalidations, call).then((loaded) => {
          for (const [key, entry] of loaded) found.set(key, entry)
        }),
      )
    }
    if (!this.#parts.version.confirmed) {
      load(items) // as in #loadForCluster: no lease, no fill under an unconfirmed version
    } else {
      const token = randomUUID()
      const deadline = Date.now() + call.leaseWaitMs
      let waiting = [...items]
      let pollMs = FIRST_POLL_MS
      let failures = 0
      const generations = new Map<string, string>()
      while (waiting.length > 0) {
        const acquired = await guard.attempt('acquire', () =>
          l2.acquireMany(
            waiting.map(({ key }) => key),
            token,
            call.leaseMs,
            'absent',
            loadWindowMs(call),
          ),
        )
        if (!acquired.ok) {
          const late = acquired.error instanceof LateTimeoutError
          if (
            !redisAnswering() ||
            (!late && ++failures > MAX_LEASE_RETRIES) ||
            Date.now() >= deadline
          ) {
            if (redisAnswering()) {
              for (const { key } of waiting) {
                void guard.attempt('release', () => l2.release(key, token))
              }
            }
            load(waiting) // no lease, no fence: into L1 only
            break
          }
          await sleep(pollMs)
          continue
        }
        const now = Date.now()
        const leased: FencedItem[] = []
        const stillWaiting: BatchItem[] = []
        acquired.value.forEach(({ raw, generation, leased: mine }, i) => {
          const item = waiting[i] as BatchItem
          generations.set(item.key, generation)
          const entry =
            raw === undefined ? undefined : decodeServable(raw, now, call, this.#parts.tags)
          if (entry && isFresh(entry, now)) {
            // Filled by the instance we waited for: nothing to load.
            if (mine) void guard.attempt('release', () => l2.release(item.key, token))
            local.keep(item.key, entry, invalidations, now, call, raw)
            found.set(item.key, entry)
          } else if (mine) leased.push({ ...item, fence: { generation, token } })
          else if (raw !== undefined) {
            // Unreadable or outdated, so no lease was taken over it: load it, fenced.
            leased.push({ ...item, fence: { generation, token: '' } })
          } else stillWaiting.push(item)
        })
        load(leased)
        waiting = stillWaiting
        if (waiting.length === 0) break
        if (Date.now() >= deadline) {
          // Their lease holder is slow or gone: load them too. The fills are still fenced.
          load(
            waiting.map((item) => ({
              ...item,
              fence: { generation: generations.get(item.key) ?? '', token: '' },
            })),
          )
          break
        }
        await sleep(pollMs)
        pollMs = Math.min(MAX_POLL_MS, pollMs * 2)
      }
    }
    await Promise.all(loads)
    return found
  }

  /** One batch loader call for `items`, then each entry filled (fenced) and kept, as #loadAndFill. */
  async #loadAndFillMany(
    items: readonly FencedItem[],
    batchLoader: BatchLoader<T>,
    invalidations: number,
    call: ResolvedCacheOptions<T>,
  ): Promise<Map<string, Entry<T>>> {
    const { guard, l2, local, name } = this.#parts
    const tagsBefore = this.#parts.tags.snapshot
    for (const _ of items) call.observer.load(name) // counts keys loaded
    const started = performance.now()
    let values: ReadonlyMap<string, T>
    try {
      values = await batchLoader(items.map(({ id }) => id))
    } catch (error) {
      for (const { key, fence } of items) {
        if (fence?.token) void guard.attempt('release', () => l2.release(key, fence.token))
      }
      throw error
    }
    const loadMs = performance.now() - started
    const now = Date.now()
    const loaded = new Map<string, Entry<T>>()
    const fills: Fill[] = []
    for (const { key, id, fence } of items) {
      const entry = newEntry(call, values.get(id), loadMs, tagsBefore)
      loaded.set(key, entry)
      if (fence) {
        const { generation, token } = fence
        fills.push({
          key,
          raw: encodeEntry(entry),
          ttlMs: redisTtlMs(entry, now, call),
          generation,
          token,
        })
      } else local.keep(key, entry, invalidations, now, call)
    }
    if (fills.length === 0) return loaded
    // One script call for every fenced fill (one per key on a Cluster).
    const fillStarted = performance.now()
    const stored = await guard.attempt('fill', () => l2.fillMany(fills))
    this.#parts.timeFill(fillStarted)
    fills.forEach(({ key, raw }, i) => {
      if (stored.ok && !stored.value[i]) call.observer.fenced(name)
      else local.keep(key, loaded.get(key) as Entry<T>, invalidations, now, call, raw)
    })
    return loaded
  }

  async #loadAndFill(
    key: string,
    loader: Loader<T>,
    fence: Fence | undefined,
    invalidations: number,
    call: ResolvedCacheOptions<T>,
  ): Promise<Entry<T>> {
    const { guard, l2, local, name } = this.#parts
    const tagsBefore = this.#parts.tags.snapshot
    call.observer.load(name)
    const started = performance.now()
    let value: T | undefined
    try {
      value = await loader()
    } catch (error) {
      // Free the lease now rather than let it lapse: the next try (here after the fail-safe
      // backoff, or a waiter elsewhere) need not wait out leaseMs.
      if (fence?.token) await guard.attempt('release', () => l2.release(key, fence.token))
      throw error
    }
    const entry = newEntry(call, value, performance.now() - started, tagsBefore)
    const now = Date.now()
    if (!fence) {
      local.keep(key, entry, invalidations, now, call)
      return entry
    }
    const fillStarted = performance.now()
    const raw = encodeEntry(entry)
    const ttlMs = redisTtlMs(entry, now, call)
    const filled = await guard.attempt('fill', () =>
      l2.fill(key, raw, ttlMs, fence.generation, fence.token),
    )
    this.#parts.timeFill(fillStarted)
    if (filled.ok && !filled.value) {
      call.observer.fenced(name)
      return entry // answer the caller, but store nothing: an invalidation overtook this load
    }
    local.keep(key, entry, invalidations, now, call, raw)
    return entry
  }
}

type FencedItem = BatchItem & { fence?: Fence }

/** A single-key loader over a batch loader: for a refresh, or a key a batch could not wait for. */
export function loadOne<T>(batchLoader: BatchLoader<T>, id: string): Loader<T> {
  return async () => (await batchLoader([id])).get(id)
}

/** How long a generation made for one load lives: a load that outlasts it is not stored. */
function loadWindowMs(call: Pick<ResolvedCacheOptions<unknown>, 'leaseMs' | 'loaderTimeoutMs'>) {
  return call.leaseMs + call.loaderTimeoutMs + 60_000
}
