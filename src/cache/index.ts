export { Cache } from './cache.js'
export { createRedisClient, type RedisClientOptions } from './redis/client.js'
export type {
  CacheLookup,
  CacheObserver,
  CacheOperation,
  CacheOptions,
  CacheTier,
  GetOrSetOptions,
  Loader,
  LookupStatus,
} from './types.js'
