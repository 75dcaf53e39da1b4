import type { RedisClient } from './client.js'
import { describeTopology } from './topology.js'

/**
 * Notices a failover from the client's own view of the masters, without a round trip: a master
 * appears that was not one in the last view (a replica was promoted; Sentinel named another).
 * Replication is asynchronous, so the writes the old master took last (an invalidation among
 * them) may be lost with it; the cache then treats every entry as suspect. A master that
 * restarts in place is no failover. A master added to a Cluster counts as one (the cost, one
 * emptied cache, is the same; telling them apart would need a round trip per master).
 */
export class MasterWatch {
  readonly #redis: RedisClient
  #known: ReadonlySet<string> | undefined

  constructor(redis: RedisClient) {
    this.#redis = redis
  }

  /** Whether a new master appeared since the last call (never on the first one). */
  replaced(): boolean {
    // Until ready, a Cluster client counts its seed nodes, replicas included, as masters.
    if (this.#redis.status !== 'ready') return false
    const masters = describeTopology(this.#redis).masters
    // No master known right now (between connections): nothing to judge; keep the last view.
    if (masters.length === 0) return false
    const known = this.#known
    this.#known = new Set(masters)
    // A master gone without a new one is a failover under way (or a node lost): the promoted
    // replica shows up as new in a later view.
    return known !== undefined && masters.some((address) => !known.has(address))
  }
}
