import type { LocalCopies } from './local-copies.js'
import type { ResolvedCacheOptions } from './options.js'
import type { RedisCoordinator } from './redis/redis-coordinator.js'
import type { RedisGuard } from './redis-guard.js'
import type { SharedVersion } from './shared-version.js'
import type { TagVersions } from './tag-versions.js'
import type { BatchLoader, Loader } from './types.js'

/** What a cluster-wide load works with: the cache's Redis, versions, L1 and timings. */
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

/** What a fill must present: the generation its load saw, and its lease token ('' without one). */
export type Fence = { generation: string; token: string }

/** One key of a batch: its id (what the batch loader is asked for). */
export interface BatchItem {
  key: string
  id: string
}

/** A key of a batch to load, with the fence its fill must present (none: into L1 only). */
export type FencedItem = BatchItem & { fence?: Fence }

/** A single-key loader over a batch loader: for a refresh, or a key a batch could not wait for. */
export function loadOne<T>(batchLoader: BatchLoader<T>, id: string): Loader<T> {
  return async () => (await batchLoader([id])).get(id)
}

/** How long a generation made for one load lives: a load that outlasts it is not stored. */
export function loadWindowMs(
  call: Pick<ResolvedCacheOptions<unknown>, 'leaseMs' | 'loaderTimeoutMs'>,
): number {
  return call.leaseMs + call.loaderTimeoutMs + 60_000
}
