import { randomUUID } from 'node:crypto'
import { retryWithin } from '../retry-within.js'
import type { PendingWrites } from './pending-writes.js'
import type { Durability } from './redis-durability.js'
import { HoldUnavailable, REDIS_WAIT_MS, WAIT_MS, WriteContention } from './write-refusals.js'

/** A synchronous write's hold on a product lapses after this, should its holder die. */
const HOLD_TTL_MS = 30_000

export interface ProductHoldsOptions {
  pending: PendingWrites
  /** Whether Redis keeps staged writes through a restart (redis-durability.ts). */
  durability: { readonly current: Durability | undefined }
  /**
   * Refuse a synchronous write that cannot take its hold, rather than write around a deferred
   * write that may be staged. Off only to show what it prevents.
   */
  refuseWithoutHold: boolean
  /** Persists the product's pending write, if any: a synchronous write must not overtake it. */
  flush(id: number): Promise<unknown>
  onError(error: unknown, what: string): void
}

/**
 * Synchronous writes' holds on products (hold.lua, release.lua): while one is held no write is
 * staged on the row it replaces, and the release fences stagers that read the row before it.
 */
export class ProductHolds {
  readonly #pending: PendingWrites
  readonly #durability: ProductHoldsOptions['durability']
  readonly #refuseWithoutHold: boolean
  readonly #flush: (id: number) => Promise<unknown>
  readonly #onError: (error: unknown, what: string) => void

  constructor(options: ProductHoldsOptions) {
    this.#pending = options.pending
    this.#durability = options.durability
    this.#refuseWithoutHold = options.refuseWithoutHold
    this.#flush = options.flush
    this.#onError = options.onError
  }

  /**
   * Runs a synchronous write with the product held: its pending writes reach the database
   * first (a synchronous write must not overtake them), and none is staged on the row it is
   * replacing. `wrote` tells the version it committed (or a deletion) to fence stagers with.
   * Throws HoldUnavailable, having written nothing, when Redis does not answer in time and a
   * deferred write may be waiting there.
   */
  async whileHeld<T>(
    id: number,
    write: () => Promise<T>,
    wrote: (result: T) => number | 'deleted' | undefined,
  ): Promise<T> {
    const token = randomUUID()
    if (!(await this.#hold(id, token))) return write()
    let result: { value: T } | undefined
    try {
      result = { value: await write() }
      return result.value
    } finally {
      await this.#release(id, token, result === undefined ? undefined : wrote(result.value))
    }
  }

  /**
   * Takes the product's hold, persisting its pending writes first. Answers false (go ahead
   * unheld) only when Redis is down and provably holds no staged write: it keeps nothing
   * through a restart, so no write was ever deferred on it.
   */
  async #hold(id: number, token: string): Promise<boolean> {
    const contentionDeadline = Date.now() + WAIT_MS
    const redisDeadline = Date.now() + REDIS_WAIT_MS
    for (;;) {
      let hold: Awaited<ReturnType<PendingWrites['hold']>>
      // One try where nothing can be staged anyway (or with the protection off, as it once
      // was: then a stall means writing around); else keep asking through a stall.
      const deadline = this.#nothingCanBeStaged() ? 0 : redisDeadline
      try {
        hold = await retryWithin(deadline, () => this.#pending.hold(id, token, HOLD_TTL_MS))
      } catch (error) {
        this.#onError(error, 'hold a product for a synchronous write')
        if (this.#nothingCanBeStaged()) return false
        // A hold call that timed out may still run once Redis answers: free it then, or stagers
        // would find the product busy until the hold lapses.
        void retryWithin(Date.now() + HOLD_TTL_MS, () =>
          this.#pending.release(id, token, undefined),
        ).catch(() => {})
        throw new HoldUnavailable(`Redis did not answer within ${REDIS_WAIT_MS} ms`, {
          cause: error,
        })
      }
      if (hold === 'held') return true
      // A staged write must not be overtaken: persist it (and any staged meanwhile) first.
      if (Date.now() > contentionDeadline) throw new WriteContention(`Product ${id} stayed busy`)
      try {
        await this.#flush(id)
      } catch (error) {
        throw new HoldUnavailable('The pending write could not be persisted first', {
          cause: error,
        })
      }
    }
  }

  /**
   * Redis answered, at its last check, that it keeps nothing through a restart: deferring was
   * off, so nothing is staged. Unknown (never answered) proves nothing.
   */
  #nothingCanBeStaged(): boolean {
    if (!this.#refuseWithoutHold) return true // the protection off: write around, as it once did
    return this.#durability.current?.deferrable === false
  }

  /**
   * Frees the product and moves the fence past the write. Asked again through a stall: a hold
   * that is never released keeps stagers out until it lapses (HOLD_TTL_MS).
   */
  async #release(id: number, token: string, wrote: number | 'deleted' | undefined) {
    try {
      await retryWithin(Date.now() + REDIS_WAIT_MS, () => this.#pending.release(id, token, wrote))
    } catch (error) {
      this.#onError(error, 'release a product')
    }
  }
}
