import { randomUUID } from 'node:crypto'
import { type Entry, encodeEntry } from './entry.js'
import { decodeServable, newEntry, redisTtlMs } from './entry-lifetime.js'
import { isFresh } from './freshness.js'
import { LeaseWait } from './lease-wait.js'
import {
  type BatchItem,
  type ClusterLoaderParts,
  type FencedItem,
  loadWindowMs,
} from './load-parts.js'
import type { ResolvedCacheOptions } from './options.js'
import type { Fill } from './redis/redis-coordinator.js'
import type { BatchLoader } from './types.js'

/**
 * The cluster-wide load of a batch of cold keys: their leases taken with one script call, one
 * batch loader call for the keys this instance leased (and one more, once the lease wait is over,
 * for keys whose holder never filled them), the keys another instance is loading waited for, and
 * every fill fenced as a single key's is.
 */
export class BatchLoad<T> {
  readonly #parts: ClusterLoaderParts<T>

  constructor(parts: ClusterLoaderParts<T>) {
    this.#parts = parts
  }

  /** The entries of `items`, each loaded here or by the instance holding its lease. */
  async run(
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
        this.#loadAndFill(batch, batchLoader, invalidations, call).then((loaded) => {
          for (const [key, entry] of loaded) found.set(key, entry)
        }),
      )
    }
    if (!this.#parts.version.confirmed) {
      load(items) // as for a single key: no lease, no fill under an unconfirmed version
    } else {
      const token = randomUUID()
      const wait = new LeaseWait(call.leaseWaitMs, redisAnswering)
      let waiting = [...items]
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
          if (wait.givesUpAfter(acquired.error)) {
            if (redisAnswering()) {
              for (const { key } of waiting) {
                void guard.attempt('release', () => l2.release(key, token))
              }
            }
            load(waiting) // no lease, no fence: into L1 only
            break
          }
          await wait.retry()
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
        if (wait.over) {
          // Their lease holder is slow or gone: load them too. The fills are still fenced.
          load(
            waiting.map((item) => ({
              ...item,
              fence: { generation: generations.get(item.key) ?? '', token: '' },
            })),
          )
          break
        }
        await wait.poll()
      }
    }
    await Promise.all(loads)
    return found
  }

  /** One batch loader call for `items`, then each entry filled (fenced) and kept in L1. */
  async #loadAndFill(
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
}
