import { Cluster, Redis, type RedisOptions } from 'ioredis'

/** What the cache runs on: one Redis (standalone, or the master Sentinel names) or a Cluster. */
export type RedisClient = Redis | Cluster

export interface HostAndPort {
  host: string
  port: number
}

/** ACL user and password of the data nodes (a URL carries its own). */
export interface RedisCredentials {
  username?: string
  password?: string
}

/** Where Redis is: a URL, a Cluster's seed nodes, or the sentinels that know the master. */
export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | ({ mode: 'cluster'; nodes: readonly HostAndPort[] } & RedisCredentials)
  | ({
      mode: 'sentinel'
      sentinels: readonly HostAndPort[]
      masterName: string
      sentinelPassword?: string
    } & RedisCredentials)

export interface RedisClientOptions {
  /** Every command fails after this long, so a hung Redis costs a read this much and no more. */
  commandTimeoutMs: number
  /** Shown by `CLIENT LIST`, to tell the app's connections apart. */
  name?: string
}

/**
 * An ioredis client tuned for a cache, where Redis being slow or down must cost little:
 * a command fails at once while disconnected (no offline queue) or after `commandTimeoutMs`,
 * is never retried or replayed after a reconnect (the caller has already moved on), and the
 * client reconnects forever on its own. The caller owns the client and quits it.
 *
 * On a Cluster, each node's connection is tuned so, and the client follows slots as they move
 * (a failover's redirections are retried by ioredis for about 1.6 s, then fail). On Sentinel it
 * asks the sentinels for the master, and switches as soon as they announce a new one.
 *
 * packages/cache/test/redis-client.test.ts checks each of these behaviours against a real Redis.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis
export function createRedisClient(target: RedisTarget, options: RedisClientOptions): RedisClient
export function createRedisClient(
  target: string | RedisTarget,
  options: RedisClientOptions,
): RedisClient {
  if (!(Number.isFinite(options.commandTimeoutMs) && options.commandTimeoutMs > 0)) {
    throw new RangeError(`commandTimeoutMs must be a number > 0, got ${options.commandTimeoutMs}`)
  }
  const resolved: RedisTarget =
    typeof target === 'string' ? { mode: 'standalone', url: target } : target
  const redis = connect(resolved, cacheConnectionOptions(options))
  // Without a listener ioredis logs every failed reconnect to stderr, and a few of its errors are
  // emitted bare, which would crash the process. Callers add their own listener to log them.
  redis.on('error', ignore)
  return redis
}

/** The per-connection options that make a Redis connection cheap to lose (see above). */
export function cacheConnectionOptions(options: RedisClientOptions): RedisOptions {
  return {
    commandTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    // 0: commands in flight when the connection drops fail at once, instead of waiting out a
    // reconnect attempt; and with no resend, a fill given up on is never written later.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: reconnectDelayMs,
    ...(options.name === undefined ? {} : { connectionName: options.name }),
  }
}

/**
 * A client for `target` with `options` on every connection to a data node: the one function
 * that knows how each topology is reached, for the cache's connections and any other the application opens.
 */
export function connect(target: RedisTarget, options: RedisOptions): RedisClient {
  switch (target.mode) {
    case 'standalone':
      return new Redis(target.url, options)
    case 'sentinel':
      return new Redis({
        ...options,
        ...credentials(target),
        sentinels: [...target.sentinels],
        name: target.masterName,
        ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
        // Without it the client learns of a failover only when its connection to the old master
        // breaks: a manual failover left it writing to the demoted replica (READONLY) for ~10 s.
        failoverDetector: true,
        sentinelRetryStrategy: reconnectDelayMs,
      })
    case 'cluster':
      return new Cluster([...target.nodes], {
        redisOptions: { ...options, ...credentials(target) },
        enableOfflineQueue: options.enableOfflineQueue ?? true,
        clusterRetryStrategy: reconnectDelayMs,
        // Reads go to masters: a replica lags, and the cache's fences need the latest value.
        scaleReads: 'master',
        // Redirections refresh the slot map at once; this also catches a failover on slots
        // nothing touched lately (failover detection reads the masters from this map).
        slotsRefreshInterval: SLOTS_REFRESH_MS,
      })
  }
}

function credentials({ username, password }: RedisCredentials): RedisCredentials {
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) }
}

const SLOTS_REFRESH_MS = 5000

/** Capped exponential backoff: 50, 100, 200 … 1000 ms, forever (a number means "keep trying"). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(1000, 50 * 2 ** Math.max(0, attempt - 1))
}

/**
 * Another client to the same Redis, on connections of its own, with another command timeout:
 * for commands that may block their connection (WAIT) away from the cache's.
 */
export function duplicateClient(redis: RedisClient, options: RedisClientOptions): RedisClient {
  const overrides = {
    commandTimeout: options.commandTimeoutMs,
    ...(options.name === undefined ? {} : { connectionName: options.name }),
  }
  const copy = isCluster(redis)
    ? redis.duplicate([], { redisOptions: { ...redis.options.redisOptions, ...overrides } })
    : redis.duplicate(overrides)
  copy.on('error', ignore)
  return copy
}

/** The client's per-command timeout (on a Cluster, its nodes'), if it has one. */
export function commandTimeoutOf(redis: RedisClient): number | undefined {
  return isCluster(redis)
    ? redis.options.redisOptions?.commandTimeout
    : redis.options.commandTimeout
}

/** Whether the client is a Cluster client (its keys live on several masters). */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster
}

/**
 * The master connections to run a per-node command on (SCAN, INFO, CONFIG): every master of a
 * Cluster, or the one client itself.
 */
export function masterConnections(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis]
}

function ignore(): void {}
