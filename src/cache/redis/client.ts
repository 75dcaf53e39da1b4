import { Redis } from 'ioredis'

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
 * test/cache/redis-client.test.ts checks each of these behaviours against a real Redis.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  if (!(Number.isFinite(options.commandTimeoutMs) && options.commandTimeoutMs > 0)) {
    throw new RangeError(`commandTimeoutMs must be a number > 0, got ${options.commandTimeoutMs}`)
  }
  const redis = new Redis(url, {
    commandTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    // 0: commands in flight when the connection drops fail at once, instead of waiting out a
    // reconnect attempt; and with no resend, a fill given up on is never written later.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: reconnectDelayMs,
    ...(options.name === undefined ? {} : { connectionName: options.name }),
  })
  // Without a listener ioredis logs every failed reconnect to stderr, and a few of its errors are
  // emitted bare, which would crash the process. Callers add their own listener to log them.
  redis.on('error', ignore)
  return redis
}

/** Capped exponential backoff: 50, 100, 200 … 1000 ms, forever (a number means "keep trying"). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(1000, 50 * 2 ** Math.max(0, attempt - 1))
}

function ignore(): void {}
