/**
 * The three libraries the `library` scenario puts side by side, each behind the one call they
 * all have (read-through: the value from the cache, or loaded once and stored) and a delete.
 * Each adapter is a thin pass-through: what is measured is the library's own path.
 *
 * - ours: `@caching-strategies/cache` (TypeScript source, run by tsx as the rest of the bench).
 * - bentocache 1.6: `bentostore().useL1Layer(memory({ serialize: false })).useL2Layer(redis)
 *   .useBus(redisBus)`, its documented multi-tier setup (see createBentocache for where its L1
 *   has to keep serializing).
 * - cache-manager 7: `createCache({ stores: [Keyv in memory, Keyv on @keyv/redis] })`; it has
 *   no bus, so where several instances share Redis it runs on Redis alone (an L1 would keep
 *   what another instance deleted, by design rather than by a race).
 */
import { randomUUID } from 'node:crypto'
import {
  Cache,
  createRedisClient,
  InvalidationBus,
  MemoryTier,
  whenReady,
} from '@caching-strategies/cache'
import { createKeyv } from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { createCache } from 'cache-manager'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'

export const LIBRARIES = ['ours', 'bentocache', 'cache-manager'] as const
export type LibraryName = (typeof LIBRARIES)[number]

export const LIBRARY_LABELS: Record<LibraryName, string> = {
  ours: 'ours (@caching-strategies/cache)',
  bentocache: 'bentocache 1.6',
  'cache-manager': 'cache-manager 7',
}

/**
 * - `two-tier`: an in-process L1 in front of Redis (L1 without serialization in all three),
 *   with a bus where the library has one: the setup of an L1 hit.
 * - `redis-only`: Redis alone (L1 off): the setup of an L2 hit.
 * - `instances`: as each runs on several instances sharing Redis: ours and bentocache with an
 *   L1 and their bus (bentocache's L1 serializing, see createBentocache), cache-manager on Redis
 *   alone (it has no bus).
 */
export type Layout = 'two-tier' | 'redis-only' | 'instances'

/** What every library is asked to do. */
export interface LibraryCache<T> {
  readonly library: LibraryName
  /** The value: the loader's, or a cached one. */
  getOrSet(key: string, loader: () => Promise<T>): Promise<T>
  /**
   * The library's read-through call itself, its answer as it gives it (ours: a CacheLookup):
   * what the hit runs time, without a layer of the adapter's own to unwrap the value.
   */
  read(key: string, loader: () => Promise<T>): Promise<unknown>
  delete(key: string): Promise<void>
  close(): Promise<void>
}

export interface AdapterOptions {
  redisUrl: string
  /**
   * Every Redis key the instance writes starts with this (the bench's run prefix, so the run's
   * cleanup finds them). Instances that must share entries get the same one.
   */
  keyPrefix: string
  layout: Layout
  /** How long an entry is fresh. Long enough that nothing expires during a run. */
  ttlSeconds?: number
  /** L1 bound, in entries, where there is an L1. */
  l1MaxItems?: number
}

const DEFAULT_TTL_SECONDS = 3600
const DEFAULT_L1_MAX_ITEMS = 10_000
/** The command timeout of our client: the package wants one (see createRedisClient). */
const COMMAND_TIMEOUT_MS = 500
const READY_WAIT_MS = 5000

export function createLibraryCache<T>(
  library: LibraryName,
  options: AdapterOptions,
): Promise<LibraryCache<T>> {
  switch (library) {
    case 'ours':
      return createOurs<T>(options)
    case 'bentocache':
      return createBentocache<T>(options)
    case 'cache-manager':
      return createCacheManager<T>(options)
  }
}

/** The cache name of ours (a key segment), bentocache's store name, cache-manager's namespace. */
const CACHE_NAME = 'item'

async function createOurs<T>(options: AdapterOptions): Promise<LibraryCache<T>> {
  const redis = createRedisClient(options.redisUrl, {
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    name: 'bench-library',
  })
  if (!(await whenReady(redis, READY_WAIT_MS))) {
    redis.disconnect()
    throw new Error(`ours: Redis at ${options.redisUrl} is not ready`)
  }
  const withL1 = options.layout !== 'redis-only'
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS
  const l1 = withL1
    ? new MemoryTier({
        maxItems: options.l1MaxItems ?? DEFAULT_L1_MAX_ITEMS,
        ttlMs: ttlSeconds * 1000,
      })
    : undefined
  const bus = withL1
    ? new InvalidationBus({ publisher: redis, channel: `${options.keyPrefix}bus` })
    : undefined
  await bus?.start()
  const cache = new Cache<T>({
    name: CACHE_NAME,
    redis,
    keyPrefix: options.keyPrefix,
    ttlSeconds,
    ...(l1 ? { l1 } : {}),
    ...(bus ? { bus } : {}),
  })
  await cache.start()
  return {
    library: 'ours',
    async getOrSet(key, loader) {
      return (await cache.getOrSet(key, loader)).value as T
    },
    read: (key, loader) => cache.getOrSet(key, loader),
    delete: (key) => cache.delete(key),
    async close() {
      await cache.close()
      await bus?.close()
      redis.disconnect()
    },
  }
}

async function createBentocache<T>(options: AdapterOptions): Promise<LibraryCache<T>> {
  const connection = new Redis(options.redisUrl, { lazyConnect: true })
  connection.on('error', () => {}) // a failed command rejects; that is enough
  await connection.connect()
  const withL1 = options.layout !== 'redis-only'
  let store = bentostore()
  if (withL1) {
    const maxItems = options.l1MaxItems ?? DEFAULT_L1_MAX_ITEMS
    // `serialize: false` only where no value reaches L1 from Redis: bentocache 1.6.1 puts the
    // JSON string of an L2 hit into such an L1, and its next read of that key throws inside
    // getOrSet's lock, which is then never released (bentocache issue #111, open PR #113). So
    // the L1 hit runs without serialization (every key is filled by this process's loader, and
    // lands in L1 as an object), and several instances sharing Redis keep bentocache's default.
    store = store.useL1Layer(
      memoryDriver(options.layout === 'two-tier' ? { serialize: false, maxItems } : { maxItems }),
    )
  }
  store = store.useL2Layer(redisDriver({ connection }))
  if (withL1) {
    const { hostname, port } = new URL(options.redisUrl)
    store = store.useBus(
      redisBusDriver({ connection: { host: hostname, port: Number(port || 6379) } }),
    )
  }
  // The store's name is in the bus channel (`bentocache.notifications:<name>`): the prefix
  // keeps one run's instances from hearing another's.
  const storeName = `${options.keyPrefix}${CACHE_NAME}`
  const bento = new BentoCache({
    default: storeName,
    stores: { [storeName]: store },
    prefix: `${options.keyPrefix}${CACHE_NAME}`,
    // In ms: a number is taken as it is, where a string like '1h' is parsed on every call.
    ttl: (options.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000,
  })
  return {
    library: 'bentocache',
    getOrSet: (key, loader) => bento.getOrSet<T>({ key, factory: loader }),
    read: (key, loader) => bento.getOrSet<T>({ key, factory: loader }),
    async delete(key) {
      await bento.delete({ key })
    },
    async close() {
      await bento.disconnectAll()
    },
  }
}

async function createCacheManager<T>(options: AdapterOptions): Promise<LibraryCache<T>> {
  const redisStore = createKeyv(options.redisUrl, {
    namespace: `${options.keyPrefix}${CACHE_NAME}`,
    throwOnConnectError: true,
  })
  // createCache's own default store, made by hand to put it in front of Redis: a Keyv on a Map,
  // without serialization.
  const memoryStore = new Keyv()
  memoryStore.serialize = undefined
  memoryStore.deserialize = undefined
  const stores = options.layout === 'two-tier' ? [memoryStore, redisStore] : [redisStore]
  const cache = createCache({
    stores,
    ttl: (options.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000,
    cacheId: randomUUID(),
  })
  // Connects now rather than on the first read, and fails here if Redis is not there.
  await redisStore.get(`${CACHE_NAME}:connect`)
  return {
    library: 'cache-manager',
    getOrSet: (key, loader) => cache.wrap(key, loader),
    read: (key, loader) => cache.wrap(key, loader),
    async delete(key) {
      await cache.del(key)
    },
    async close() {
      await cache.disconnect()
    },
  }
}
