import type { BatchLoader, CacheInspection, CacheLookup, Loader } from '@caching-strategies/cache'

/**
 * Every strategy (`full`, `naive`, `none`) answers to this, so callers never change when the
 * strategy does. `full` is the package's Cache; the other two live here, for teaching.
 */
export interface ReadThroughCache<T> {
  readonly name: string
  readonly version: number
  start(): Promise<void>
  close(): Promise<void>
  keyFor(id: string): string
  getOrSet(id: string, loader: Loader<T>): Promise<CacheLookup<T>>
  /** getOrSet for many ids, answered in their order; one batch loader call for what it loads. */
  getMany(ids: readonly string[], loader: BatchLoader<T>): Promise<CacheLookup<T>[]>
  /**
   * What this process's memory (L1) holds, answered without a promise: a hit, or a stale value
   * while a refresh runs; undefined: call getOrSet. Counted and refreshed exactly as getOrSet
   * would; the loader is for that refresh. Strategies without an L1 always answer undefined.
   */
  getFromMemory(id: string, loader: Loader<T>): CacheLookup<T> | undefined
  /** What each tier holds for one id, counting nothing: for the consistency monitor. */
  inspect(id: string): Promise<CacheInspection<T>>
  /** Invalidates one id everywhere; rejects if Redis did not take it, so the caller can retry. */
  delete(id: string): Promise<void>
  /** Invalidates every entry at once; answers the new key version. */
  bumpVersion(): Promise<number>
  /** Invalidates every entry carrying one of these tags, in O(1) Redis calls. */
  deleteByTag(tags: readonly string[]): Promise<void>
}
