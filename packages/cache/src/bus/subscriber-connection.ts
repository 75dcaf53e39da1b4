import type { Cluster, Redis, RedisOptions } from 'ioredis'
import { reconnectDelayMs } from '../redis/client.js'

/**
 * How the subscriber connection differs from the publisher it is duplicated from (same host,
 * credentials, TLS…). What they add up to (re-subscribing through restarts and flapping
 * connections, closing at once) is checked against real redis-servers in packages/cache/test/bus*.test.ts.
 */
const SUBSCRIBER_OPTIONS = {
  // The bus subscribes again itself on every 'ready' and awaits the reply, its only sign that
  // the subscription is back. ioredis's own re-subscribe sends SUBSCRIBE without waiting for it:
  // 'ready' comes before the reply, and if the connection drops again before it, the channel is
  // forgotten for good (or, with maxRetriesPerRequest 0, the rejection goes unhandled and kills
  // the process).
  autoResubscribe: false,
  // Only that SUBSCRIBE is ever sent, once 'ready': nothing to queue while disconnected.
  enableOfflineQueue: false,
  // A SUBSCRIBE in flight when the connection drops fails at once; the next 'ready' sends another.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // A connection that only listens has nothing to time out, and a SUBSCRIBE given up on here may
  // still take effect on the server, leaving the bus wrong about whether it is subscribed.
  commandTimeout: undefined,
  // Reconnect forever, whatever the publisher does: a bus that stops listening serves stale L1s.
  retryStrategy: reconnectDelayMs,
  // Listeners go on before the first connect.
  lazyConnect: true,
  // Nothing is pending on close, so the socket can go at once. And disconnect() while
  // reconnecting arms this timer on a socket already closed, which only ever runs out: the
  // default 2 s would hold a shutting-down process that long.
  disconnectTimeout: 0,
} satisfies Partial<RedisOptions>

/** A new connection for SUBSCRIBE, not yet connecting; never emits an unhandled 'error'. */
export function createSubscriber(publisher: Redis, onError: (error: unknown) => void): Redis {
  const name = publisher.options.connectionName
  const subscriber = publisher.duplicate({
    ...SUBSCRIBER_OPTIONS,
    ...(name ? { connectionName: `${name}:bus` } : {}),
  })
  // Without a listener, an 'error' (each failed reconnect) would be thrown and crash the process.
  subscriber.on('error', onError)
  return subscriber
}

/**
 * The Cluster counterpart: a Cluster client of its own whose sharded subscribers (one connection
 * per master, kept by ioredis) follow the channels' slots through failovers and resharding.
 * ioredis re-subscribes them itself, without telling: a message lost meanwhile shows as a gap or
 * as the sender's silence (see invalidation-bus.ts).
 */
export function createClusterSubscriber(
  publisher: Cluster,
  onError: (error: unknown) => void,
): Cluster {
  const { redisOptions = {} } = publisher.options
  const name = redisOptions.connectionName
  const { lazyConnect: _, ...nodeOptions } = SUBSCRIBER_OPTIONS
  const subscriber = publisher.duplicate([], {
    shardedSubscribers: true,
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelayMs,
    redisOptions: {
      ...redisOptions,
      ...nodeOptions,
      ...(name ? { connectionName: `${name}:bus` } : {}),
    },
  })
  subscriber.on('error', onError)
  return subscriber
}
