import type { Entry } from './entry.js'
import { lifetimeMs } from './entry-lifetime.js'
import { MemoryTier } from './memory/memory-tier.js'
import type { ResolvedCacheOptions } from './options.js'
import type { TierOperation } from './types.js'

/**
 * This process's copies of the entries (L1): values in the shared MemoryTier, "no such thing"
 * apart in a small tier of their own, and a count of the invalidations made or heard of here,
 * which fences L1 fills: a copy is kept only if no invalidation came while it was read or loaded.
 */
export class LocalCopies<T> {
  readonly #values: MemoryTier | undefined
  /** Where "no such thing" entries live: apart from the values (absentL1MaxItems). */
  readonly #absent: MemoryTier | undefined
  readonly #time: (operation: TierOperation, started: number) => void
  #invalidations = 0

  constructor(
    l1: MemoryTier | undefined,
    options: ResolvedCacheOptions<T>,
    time: (operation: TierOperation, started: number) => void,
  ) {
    this.#values = l1?.enabled ? l1 : undefined
    this.#absent = this.#values && absentTier(options, this.#values)
    this.#time = time
  }

  /** Whether there is an L1 at all. */
  get enabled(): boolean {
    return this.#values !== undefined
  }

  /** Take it before reading or loading an entry, and hand it to `keep` after. */
  get invalidations(): number {
    return this.#invalidations
  }

  /** The copy held for `key`, read without timing it: for audits. */
  peek(key: string): Entry<T> | undefined {
    return (this.#values?.get(key) ?? this.#absent?.get(key)) as Entry<T> | undefined
  }

  read(key: string): Entry<T> | undefined {
    if (!this.#values) return undefined
    const started = performance.now()
    const entry = (this.#values.get(key) ?? this.#absent?.get(key)) as Entry<T> | undefined
    this.#time('get', started)
    return entry
  }

  /**
   * Keeps a copy, unless an invalidation came since `invalidationsBefore`. `raw`, the entry's
   * JSON when there is one at hand, gives its size.
   */
  keep(
    key: string,
    entry: Entry<T>,
    invalidationsBefore: number,
    now: number,
    call: ResolvedCacheOptions<T>,
    raw?: string,
  ): void {
    const tier = entry.absent ? this.#absent : this.#values
    if (!tier || this.#invalidations !== invalidationsBefore) return
    if (entry.absent && call.negativeTtlMs === 0) return
    const started = performance.now()
    const sizeBytes = raw === undefined ? undefined : Buffer.byteLength(raw)
    tier.set(key, entry, lifetimeMs(entry, now, call.graceMs), sizeBytes)
    this.#time('set', started)
  }

  /** Something was invalidated: no copy read or loaded before now may be kept. */
  invalidated(): void {
    this.#invalidations++
  }

  /** Drops the copies of `keys` (or every copy), as invalidated. */
  drop(keys?: readonly string[]): void {
    this.invalidated()
    if (!this.#values) return
    const started = performance.now()
    for (const tier of new Set([this.#values, this.#absent])) {
      if (keys) tier?.deleteMany(keys)
      else tier?.clear()
    }
    this.#time('delete', started)
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
