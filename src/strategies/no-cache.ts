import type { BatchLoader, CacheInspection, CacheLookup, Loader } from '@caching-strategies/cache'
import type { ReadThroughCache } from './read-through-cache.js'

/** No cache at all: every read runs the loader. The baseline for benchmarks (`CACHE_STRATEGY=none`). */
export class NoCache<T> implements ReadThroughCache<T> {
  readonly version = 1

  constructor(readonly name: string) {}

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  keyFor(id: string): string {
    return `${this.name}:${id}`
  }

  getFromMemory(): undefined {
    return undefined // no L1
  }

  async getOrSet(_id: string, loader: Loader<T>): Promise<CacheLookup<T>> {
    return { value: await loader(), status: 'miss', freshUntil: Date.now() }
  }

  async getMany(ids: readonly string[], loader: BatchLoader<T>): Promise<CacheLookup<T>[]> {
    const values = await loader([...new Set(ids)])
    const now = Date.now()
    return ids.map((id) => ({ value: values.get(id), status: 'miss', freshUntil: now }))
  }

  async inspect(id: string): Promise<CacheInspection<T>> {
    return { key: this.keyFor(id) } // nothing is cached
  }

  async delete(): Promise<void> {}

  async bumpVersion(): Promise<number> {
    return this.version
  }

  async deleteByTag(): Promise<void> {}
}
