export { InvalidationBus } from './bus/invalidation-bus.js'
export { Cache } from './cache.js'
export { CACHE_STRATEGIES, type CacheStrategy, createCache } from './create-cache.js'
export { LoaderTimeoutError } from './loader-timeout.js'
export { MemoryTier } from './memory/memory-tier.js'
export { NaiveCache } from './naive-cache.js'
export { NoCache } from './no-cache.js'
export {
  connect,
  createRedisClient,
  duplicateClient,
  type HostAndPort,
  isCluster,
  masterConnections,
  type RedisClient,
  type RedisClientOptions,
  type RedisTarget,
} from './redis/client.js'
export { describeTopology, type RedisTopology } from './redis/topology.js'
export { whenReady } from './redis/when-ready.js'
export { type CircuitStateName, LateTimeoutError } from './redis-guard.js'
export type {
  CacheLookup,
  CacheObserver,
  CacheOperation,
  CacheOptions,
  CacheTier,
  Loader,
  LookupStatus,
  ReadThroughCache,
  RedisCommand,
  TierOperation,
} from './types.js'
export { CACHE_OPERATIONS } from './types.js'
