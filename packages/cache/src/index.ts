// The package's public API: everything a service needs to cache with it, nothing of its insides.

export type { BusMessage, BusRejectReason } from './bus/bus-message.js'
export type {
  BusDropReason,
  BusLossReason,
  BusObserver,
  InvalidationBusOptions,
} from './bus/bus-options.js'
export type { BusMessageHandler, MessagesLostHandler } from './bus/invalidation-bus.js'
export { InvalidationBus } from './bus/invalidation-bus.js'
export { Cache } from './cache.js'
export {
  CacheError,
  type CacheErrorCode,
  CacheUnavailableError,
  LoaderTimeoutError,
} from './errors.js'
export { MemoryTier } from './memory/memory-tier.js'
export type { MemoryTierOptions } from './memory/options.js'
export {
  connect,
  createRedisClient,
  duplicateClient,
  type HostAndPort,
  isCluster,
  masterConnections,
  type RedisClient,
  type RedisClientOptions,
  type RedisCredentials,
  type RedisTarget,
} from './redis/client.js'
export { defineScript, type LuaScript, type ScriptCall } from './redis/scripts.js'
export { describeTopology, type RedisTopology } from './redis/topology.js'
export { whenReady } from './redis/when-ready.js'
export {
  type CircuitBreakerOptions,
  type CircuitStateName,
  LateTimeoutError,
} from './redis-guard.js'
export type {
  BatchLoader,
  CachedCopy,
  CacheInspection,
  CacheLookup,
  CacheObserver,
  CacheOperation,
  CacheOptions,
  CacheProtections,
  CacheTier,
  CallOptions,
  Loader,
  LookupStatus,
  RedisCommand,
  TierOperation,
} from './types.js'
export { CACHE_OPERATIONS } from './types.js'
