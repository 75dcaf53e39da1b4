import type { RedisClient } from '@caching-strategies/cache'

export interface ReadCounterOptions {
  /** The app's client: no offline queue and a short command timeout, so a flush never hangs. */
  redis: RedisClient
  /** The sorted set of reads: member = product id, score = how often it was read. */
  key: string
  /** How often the batch of reads goes to Redis. @default 1000 */
  flushIntervalMs?: number
  /** Ids the set keeps; the least read beyond these are trimmed now and then. @default 10_000 */
  maxIds?: number
  /** A flush Redis did not take; its counts are dropped. */
  onDroppedFlush?: (error: unknown) => void
}

/** Trimming every flush would be wasted work: between trims the set grows by one batch at most. */
const TRIM_EVERY_FLUSHES = 30

/**
 * Counts product reads for the cache warm-up. `record` is a Map increment, because it runs on
 * every read, L1 hits included; the counts go to a Redis sorted set in one pipelined batch per
 * interval. Counts are a popularity estimate, not an audit: a batch Redis does not take is
 * dropped rather than retried, so an outage neither grows memory nor throws into a read.
 */
export class ReadCounter {
  readonly #redis: RedisClient
  readonly #key: string
  readonly #maxIds: number
  readonly #onDroppedFlush: (error: unknown) => void
  readonly #timer: NodeJS.Timeout
  #pending = new Map<number, number>()
  #flushes = 0
  #flushing: Promise<void> = Promise.resolve()

  constructor(options: ReadCounterOptions) {
    this.#redis = options.redis
    this.#key = options.key
    this.#maxIds = options.maxIds ?? 10_000
    this.#onDroppedFlush = options.onDroppedFlush ?? (() => {})
    // unref: pending counts are not worth keeping a process alive for.
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1000).unref()
  }

  record(id: number): void {
    this.#pending.set(id, (this.#pending.get(id) ?? 0) + 1)
  }

  /** Sends the reads counted so far in one pipeline; never rejects. */
  flush(): Promise<void> {
    if (this.#pending.size === 0) return this.#flushing
    const batch = this.#pending
    this.#pending = new Map()
    // Chained, so close() can wait for every flush under way.
    this.#flushing = this.#flushing.then(() => this.#send(batch))
    return this.#flushing
  }

  /** The `n` most-read ids, most-read first. */
  async top(n: number): Promise<number[]> {
    if (n <= 0) return []
    const members = await this.#redis.zrevrange(this.#key, 0, n - 1)
    return members.map(Number).filter((id) => Number.isSafeInteger(id) && id > 0)
  }

  /**
   * Multiplies every count by `factor` at once (one ZUNIONSTORE of the set onto itself), so
   * that reads from long ago fade: called once per warm-up, the ranking follows what is read
   * now rather than what was read last week.
   */
  async age(factor: number): Promise<void> {
    if (!(factor > 0 && factor <= 1))
      throw new RangeError(`age factor must be in (0, 1], got ${factor}`)
    await this.#redis.zunionstore(this.#key, 1, this.#key, 'WEIGHTS', factor)
  }

  /** Stops the timer and flushes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
  }

  async #send(batch: Map<number, number>): Promise<void> {
    const pipeline = this.#redis.pipeline()
    for (const [id, reads] of batch) pipeline.zincrby(this.#key, reads, String(id))
    if (++this.#flushes % TRIM_EVERY_FLUSHES === 0) {
      // Ranks are ascending by score: drop everything below the top `maxIds`.
      pipeline.zremrangebyrank(this.#key, 0, -(this.#maxIds + 1))
    }
    try {
      // A pipeline resolves with one [error, result] per command rather than rejecting.
      const failed = (await pipeline.exec())?.find(([error]) => error !== null)
      if (failed) throw failed[0]
    } catch (error) {
      this.#onDroppedFlush(error)
    }
  }
}
