import type { Redis } from 'ioredis'
import { isCluster, type RedisClient } from './client.js'

/** What a client is connected to, as operators name it (e.g. for a health check or a dashboard). */
export interface RedisTopology {
  mode: 'standalone' | 'cluster' | 'sentinel'
  /** `host:port` of the master(s) the client writes to now (the Cluster's, from its slot map). */
  masters: string[]
  /** Every node it knows of: a Cluster's masters and replicas, or the sentinels it asks. */
  nodes: string[]
}

/**
 * Read from the client's own state, without a round trip, so that it is cheap enough for a
 * liveness probe and still says something while Redis is down.
 */
export function describeTopology(redis: RedisClient): RedisTopology {
  if (isCluster(redis)) {
    return {
      mode: 'cluster',
      masters: redis.nodes('master').map(addressOf).sort(),
      nodes: redis.nodes('all').map(addressOf).sort(),
    }
  }
  const { sentinels } = redis.options
  if (sentinels && sentinels.length > 0) {
    const { remoteAddress, remotePort } = redis.stream ?? {}
    return {
      mode: 'sentinel',
      // The master the sentinels named, once connected to it.
      masters: remoteAddress && remotePort ? [`${remoteAddress}:${remotePort}`] : [],
      nodes: sentinels.map((sentinel) => `${sentinel.host}:${sentinel.port}`),
    }
  }
  const address = addressOf(redis)
  return { mode: 'standalone', masters: [address], nodes: [address] }
}

function addressOf(node: Redis): string {
  return `${node.options.host}:${node.options.port}`
}
