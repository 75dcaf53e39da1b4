import { randomUUID } from 'node:crypto'
import { BatchLoad } from './batch-loader.js'
import { type Entry, encodeEntry } from './entry.js'
import { decodeServable, newEntry, redisTtlMs } from './entry-lifetime.js'
import { FailSafeBackoff } from './fail-safe-backoff.js'
import { isFresh } from './freshness.js'
import { LeaseWait } from './lease-wait.js'
import {
  type BatchItem,
  type ClusterLoaderParts,
  type Fence,
  loadOne,
  loadWindowMs,
} from './load-parts.js'
import { withinTimeout } from './loader-timeout.js'
import type { ResolvedCacheOptions } from './options.js'
import type { LeaseMode } from './redis/redis-coordinator.js'
import { SingleFlight } from './single-flight.js'
import type { BatchLoader, Loader } from './types.js'

/**
 * One load per key in the whole cluster: single-flight in this process, a lease in Redis across
 * processes, and fenced fills (fill.lua stores a load only if no invalidation overtook it).
 * Callers that find a load under way, here or elsewhere, wait for its entry instead of loading.
 */
export class ClusterLoader<T> {
  readonly #parts: ClusterLoaderParts<T>
  readonly #loads = new SingleFlight<Entry<T> | undefined>()
  readonly #backoff: FailSafeBackoff
  readonly #batch: BatchLoad<T>

  constructor(parts: ClusterLoaderParts<T>) {
    this.#parts = parts
    this.#backoff = new FailSafeBackoff(parts.failSafeBackoffMs)
    this.#batch = new BatchLoad(parts)
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
      const batch = this.#batch.run(lead, batchLoader, call)
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
    const wait = new LeaseWait(call.leaseWaitMs, redisAnswering)
    let mode: LeaseMode = refreshing === undefined ? 'absent' : 'always'
    let waited = false
    for (;;) {
      const acquired = await guard.attempt('acquire', () =>
        l2.acquire(key, token, call.leaseMs, mode, loadWindowMs(call)),
      )
      if (!acquired.ok) {
        if (wait.givesUpAfter(acquired.error)) {
          // No lease, no fence in L2: load and keep the value in L1 only. Should a call whose
          // reply was lost have taken the lease, the others would wait for nothing: free it.
          if (redisAnswering()) void guard.attempt('release', () => l2.release(key, token))
          return load()
        }
        await wait.retry()
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
      if (wait.over) {
        // The lease holder is slow or gone: load too. The fill is still fenced.
        return load({ generation, token: '' })
      }
      waited = true
      await wait.poll()
    }
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
