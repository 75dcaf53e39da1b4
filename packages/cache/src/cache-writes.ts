import type { BusMessage } from './bus/bus-message.js'
import type { InvalidationBus } from './bus/invalidation-bus.js'
import type { ClusterLoader } from './cluster-loader.js'
import { encodeEntry } from './entry.js'
import { newEntry, redisTtlMs } from './entry-lifetime.js'
import { CacheUnavailableError } from './errors.js'
import { InvalidationRetries } from './invalidation-retries.js'
import { entryKey } from './keys.js'
import type { LocalCopies } from './local-copies.js'
import type { ResolvedCacheOptions } from './options.js'
import type { RedisCoordinator } from './redis/redis-coordinator.js'
import type { RedisGuard } from './redis-guard.js'
import type { SharedVersion } from './shared-version.js'
import type { TagVersions } from './tag-versions.js'
import type { CacheTier, TierOperation } from './types.js'

/** What the write side works with: the cache's Redis, versions, L1, loads and bus. */
export interface CacheWriteParts<T> {
  name: string
  options: ResolvedCacheOptions<T>
  namespace: string
  guard: RedisGuard
  l2: RedisCoordinator
  local: LocalCopies<T>
  loader: ClusterLoader<T>
  version: SharedVersion
  tags: TagVersions
  bus: InvalidationBus | undefined
  timeTier: (tier: CacheTier, operation: TierOperation, started: number) => void
}

/**
 * The write side of a Cache: every change (a value set, a key deleted, the version bumped, tags
 * deleted) made in Redis and published on the bus, and what the other instances publish applied
 * to this L1. A change Redis did not take is tried again in the background until it lands.
 */
export class CacheWrites<T> {
  readonly #parts: CacheWriteParts<T>
  readonly #retries = new InvalidationRetries()

  constructor(parts: CacheWriteParts<T>) {
    this.#parts = parts
  }

  /** Applies the other instances' changes to this L1 until the function it answers is called. */
  listen(): Array<() => void> {
    const { bus, name, version, tags } = this.#parts
    if (!bus) return []
    return [
      bus.onMessage((message) => {
        if (message.cache !== name) return
        if (message.op === 'delete') this.dropLocal(message.keys)
        else if (message.op === 'version') {
          version.observe(message.version)
          this.#invalidated()
        } else {
          tags.observe(message.tags)
          this.#invalidated()
        }
      }),
      // Messages may have been lost (a gap in a peer's numbers, a silent peer, this
      // subscription deaf or back after a drop): trust no L1 entry, and re-read the versions
      // now rather than on the next tick (a lost version bump or tag invalidation).
      bus.onMessagesLost(() => {
        this.dropLocal()
        void version.refresh()
        void tags.refresh().catch(() => {}) // reported by the guard
      }),
    ]
  }

  /** Stops the background retries. */
  close(): void {
    this.#retries.close()
  }

  /** Cache.set, with the call's options resolved. */
  async set(id: string, value: T, call: ResolvedCacheOptions<T>): Promise<void> {
    const { guard, l2, local, tags } = this.#parts
    const key = await this.#currentKey(id)
    const entry = newEntry(call, value, 0, tags.snapshot)
    const raw = encodeEntry(entry)
    await this.#changeEverywhere(key, 'set', async () => {
      const invalidations = local.invalidations
      const now = Date.now()
      const started = performance.now()
      try {
        await guard.require('set', () =>
          l2.set(key, raw, redisTtlMs(entry, now, call), this.#generationTtlMs()),
        )
      } finally {
        this.#parts.timeTier('l2', 'set', started)
      }
      local.keep(key, entry, invalidations, now, call, raw)
    })
  }

  /** Cache.delete. */
  async delete(id: string): Promise<void> {
    const key = await this.#currentKey(id)
    await this.#changeEverywhere(key, 'delete', () => this.#invalidateL2(key))
  }

  /** Cache.bumpVersion. */
  async bumpVersion(): Promise<number> {
    const { name } = this.#parts
    let version: number
    try {
      version = await this.#parts.version.bump()
    } catch (error) {
      throw new CacheUnavailableError(name, 'version bump', error)
    }
    this.#invalidated()
    await this.#publish({ op: 'version', cache: name, version })
    return version
  }

  /** Cache.deleteByTag. */
  async deleteByTag(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return
    const { name } = this.#parts
    const invalidate = async () => {
      const versions = await this.#parts.tags.invalidate(tags)
      this.#invalidated()
      await this.#publish({ op: 'tags', cache: name, tags: versions })
    }
    try {
      await invalidate()
    } catch (error) {
      this.#retryLater(`tags ${JSON.stringify([...tags].sort())}`, invalidate)
      throw new CacheUnavailableError(name, 'tag invalidation', error)
    }
  }

  /** Drops keys (or every key) from L1, as invalidated. */
  dropLocal(keys?: readonly string[]): void {
    this.#parts.local.drop(keys)
    this.#parts.loader.forget(keys)
  }

  /** The key of `id` under the version Redis confirmed: a write must not go to an old one. */
  async #currentKey(id: string): Promise<string> {
    return entryKey(this.#parts.namespace, await this.#parts.version.confirmedVersion(), id)
  }

  /** Drops `key` from this L1, changes it in Redis, then tells the other instances to drop it. */
  async #changeEverywhere(key: string, what: string, change: () => Promise<void>): Promise<void> {
    const { name } = this.#parts
    this.dropLocal([key])
    const message: BusMessage = { op: 'delete', cache: name, keys: [key] }
    try {
      await change()
    } catch (error) {
      this.#retryLater(`delete ${key}`, async () => {
        await this.#invalidateL2(key)
        this.dropLocal([key]) // what this instance read back meanwhile
        await this.#publish(message)
      })
      // Queued in order on the bus; not awaited: its first attempt would fail the same way.
      void this.#publish(message)
      throw new CacheUnavailableError(name, what, error)
    }
    await this.#publish(message)
  }

  #retryLater(id: string, invalidate: () => Promise<void>): void {
    if (this.#parts.options.protections.retryInvalidations) this.#retries.add(id, invalidate)
  }

  async #invalidateL2(key: string): Promise<void> {
    const { guard, l2 } = this.#parts
    const started = performance.now()
    try {
      await guard.require('invalidate', () => l2.invalidate([key], this.#generationTtlMs()))
    } finally {
      this.#parts.timeTier('l2', 'delete', started)
    }
  }

  async #publish(message: BusMessage): Promise<void> {
    const { bus, name, options } = this.#parts
    if (!bus) return
    const started = performance.now()
    await bus.publish(message)
    options.observer.redisCommand(name, 'publish', performance.now() - started)
  }

  /**
   * Something was invalidated: fence the L1 fills under way, and let no new reader join a load
   * (of any key) that may have read the data before the invalidation.
   */
  #invalidated(): void {
    this.#parts.local.invalidated()
    this.#parts.loader.forget()
  }

  #generationTtlMs(): number {
    // Longer than any load can take, so a load never outlives the generation it must present.
    return this.#parts.options.freshMs + this.#parts.options.graceMs + 60_000
  }
}
