import { connect, type RedisClient } from '@caching-strategies/cache'
import { Queue } from 'bullmq'
import type { Config } from '../config.js'
import { redisTarget } from '../redis-target.js'

/** One queue for the catalog's jobs; each job file names its own job. */
export const CATALOG_QUEUE = 'catalog'

/**
 * BullMQ's key prefix, wrapped in a hash tag as BullMQ advises for Redis Cluster: every key of
 * the queue then hashes to one slot, so its Lua scripts may touch them together. Derived from
 * REDIS_KEY_PREFIX unless QUEUE_PREFIX is set, so two deployments that share a Redis under
 * different prefixes never take each other's jobs.
 */
export const queuePrefix = (config: Pick<Config, 'QUEUE_PREFIX' | 'REDIS_KEY_PREFIX'>) =>
  `{${config.QUEUE_PREFIX ?? `${config.REDIS_KEY_PREFIX}bull`}}`

/** Finished jobs kept for inspection: failures longer, successes briefly. */
const KEEP_COMPLETED = { count: 1000, age: 3600 }
const KEEP_FAILED = { count: 5000 }

/**
 * The producer side, used by the API to enqueue. Its connection fails fast while Redis is down
 * (no offline queue), so a request that cannot be queued is answered 503 instead of hanging.
 */
export function openCatalogQueue(config: Config): Queue {
  const connection = connect(redisTarget(config), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'catalog-queue',
  })
  connection.on('error', () => {}) // reported where a call fails; reconnects by itself
  const queue = new Queue(CATALOG_QUEUE, {
    connection,
    prefix: queuePrefix(config),
    defaultJobOptions: {
      attempts: config.JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    },
  })
  // The same errors, passed on by the queue and its job scheduler: with no listener BullMQ
  // prints each one to stderr, every reconnect attempt while Redis is down.
  queue.on('error', () => {})
  return queue
}

/**
 * A worker needs a connection of its own that waits on blocking commands forever (BullMQ's
 * advice, on a Cluster too: `maxRetriesPerRequest: null` on every node's connection).
 */
export function workerConnection(config: Config): RedisClient {
  const connection = connect(redisTarget(config), {
    maxRetriesPerRequest: null,
    connectionName: 'catalog-worker',
  })
  connection.on('error', () => {})
  return connection
}
