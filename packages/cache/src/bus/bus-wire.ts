import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import { isCluster, type RedisClient } from '../redis/client.js'
import { createClusterSubscriber, createSubscriber } from './subscriber-connection.js'

/**
 * How the bus's messages travel. On one Redis (standalone, or Sentinel's master): PUBLISH and
 * SUBSCRIBE on one channel. On a Cluster, classic PUBLISH is copied to every node of the cluster,
 * so the bus uses sharded pub/sub instead (SPUBLISH, SSUBSCRIBE: a channel lives on the master of
 * its slot) over `shards` channels, `<channel>:<n>`, spread over the masters. Each instance
 * publishes on one of them (picked by its id), so its messages keep their order, which the
 * receivers' gap detection relies on; every instance listens on all of them.
 */
export interface BusWire {
  /** Every channel the subscriber listens on. */
  readonly channels: ReadonlySet<string>
  /** Sends one message on this instance's channel; a rejection, never a throw. */
  publish(encoded: string): Promise<unknown>
  /** A new subscriber connection, not yet connecting; never emits an unhandled 'error'. */
  createSubscriber(onError: (error: unknown) => void): RedisClient
  /** Subscribes `subscriber` to every channel; resolves once Redis confirmed all of them. */
  subscribe(subscriber: RedisClient): Promise<void>
  /** The event the subscriber emits a message with: `(channel, message)`. */
  readonly messageEvent: 'message' | 'smessage'
}

/** Channels a Cluster's bus is spread over: enough that every master of a large cluster gets some. */
export const CLUSTER_BUS_SHARDS = 16

export function busWire(
  publisher: RedisClient,
  channel: string,
  instanceId: string,
  shards = CLUSTER_BUS_SHARDS,
): BusWire {
  return isCluster(publisher)
    ? shardedWire(publisher, channel, instanceId, shards)
    : classicWire(publisher, channel)
}

function classicWire(publisher: Redis, channel: string): BusWire {
  return {
    channels: new Set([channel]),
    publish: (encoded) => rejectingOnThrow(() => publisher.publish(channel, encoded)),
    createSubscriber: (onError) => createSubscriber(publisher, onError),
    async subscribe(subscriber) {
      await (subscriber as Redis).subscribe(channel)
    },
    messageEvent: 'message',
  }
}

function shardedWire(
  publisher: Cluster,
  channel: string,
  instanceId: string,
  shards: number,
): BusWire {
  const channels = Array.from({ length: shards }, (_, index) => `${channel}:${index}`)
  const own = channels[shardOf(instanceId, shards)] as string
  return {
    channels: new Set(channels),
    publish: (encoded) => rejectingOnThrow(() => publisher.spublish(own, encoded)),
    createSubscriber: (onError) => createClusterSubscriber(publisher, onError),
    async subscribe(subscriber) {
      // One SSUBSCRIBE per channel: the channels of one command must share a slot.
      await Promise.all(channels.map((name) => (subscriber as Cluster).ssubscribe(name)))
    },
    messageEvent: 'smessage',
  }
}

/** A stable spread of instance ids over the shards. */
function shardOf(instanceId: string, shards: number): number {
  return createHash('sha1').update(instanceId).digest().readUInt32BE(0) % shards
}

function rejectingOnThrow(send: () => Promise<unknown>): Promise<unknown> {
  try {
    return send()
  } catch (error) {
    return Promise.reject(error)
  }
}
