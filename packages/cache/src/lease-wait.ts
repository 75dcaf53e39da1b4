import { setTimeout as sleep } from 'node:timers/promises'
import { LateTimeoutError } from './redis-guard.js'

/** Polling for another instance's load: quick at first, then gentler. */
const FIRST_POLL_MS = 5
const MAX_POLL_MS = 50
/**
 * Lease calls that fail while Redis is connected are retried this often before loading alone. A
 * timeout that fired late (this process was busy, see LateTimeoutError) is not a failure: the
 * caller asks again until its wait is over.
 */
const MAX_LEASE_RETRIES = 3

/**
 * A load's wait for a key's lease, or for the instance holding it to fill the key: bounded by
 * the lease wait, polled quickly at first and then more gently.
 */
export class LeaseWait {
  readonly #deadline: number
  readonly #redisAnswering: () => boolean
  #pollMs = FIRST_POLL_MS
  #failures = 0

  constructor(leaseWaitMs: number, redisAnswering: () => boolean) {
    this.#deadline = Date.now() + leaseWaitMs
    this.#redisAnswering = redisAnswering
  }

  /** The lease wait is over: load without waiting any longer (the fill is still fenced). */
  get over(): boolean {
    return Date.now() >= this.#deadline
  }

  /** After a lease call that failed: whether to stop asking and load without a lease. */
  givesUpAfter(error: unknown): boolean {
    if (!(error instanceof LateTimeoutError)) this.#failures++
    return !this.#redisAnswering() || this.#failures > MAX_LEASE_RETRIES || this.over
  }

  /** Pauses before asking again after a failed call. */
  async retry(): Promise<void> {
    await sleep(this.#pollMs)
  }

  /** Pauses while the lease holder works, a little longer each time. */
  async poll(): Promise<void> {
    await sleep(this.#pollMs)
    this.#pollMs = Math.min(MAX_POLL_MS, this.#pollMs * 2)
  }
}
