import type { PendingWrites } from './pending-writes.js'

/** How many replicas a staged write must reach before its 202, and how long to wait for them. */
export interface ReplicationPolicy {
  /** Asked for each write: the default follows what Redis shows (redis-durability.ts). */
  replicasRequired(): number
  waitMs: number
}

/**
 * Replication is asynchronous: a staged write acknowledged by a master that dies a moment later
 * is gone with it, unless a replica had it. The gate asks Redis (WAIT, on the stager's
 * connection) whether enough replicas have the product's staged state.
 */
export class ReplicaGate {
  readonly #pending: PendingWrites
  readonly #policy: ReplicationPolicy | undefined
  readonly #onError: (error: unknown, what: string) => void

  constructor(
    pending: PendingWrites,
    policy: ReplicationPolicy | undefined,
    onError: (error: unknown, what: string) => void,
  ) {
    this.#pending = pending
    this.#policy = policy
    this.#onError = onError
  }

  /**
   * Undefined when the write may be acknowledged (enough replicas have it, or none are asked
   * for); else, in words, what was missing. A WAIT that fails counts as no replica.
   */
  async shortfall(id: number): Promise<string | undefined> {
    const required = this.#policy?.replicasRequired() ?? 0
    if (required === 0) return undefined
    const waitMs = this.#policy?.waitMs ?? 0
    try {
      if ((await this.#pending.replicated(id, required, waitMs)) >= required) return undefined
    } catch (error) {
      this.#onError(error, 'wait for replicas of a staged write')
    }
    return `The write reached fewer than ${required} replica(s) in ${waitMs} ms`
  }
}
