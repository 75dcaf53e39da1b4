import type { RedisClient } from '../redis/client.js'
import { reconnectDelayMs } from '../redis/client.js'
import type { BusDropReason } from './bus-options.js'

/**
 * An invalidation is retried and counted. A heartbeat gets one attempt: the next one says the same.
 * A bye is retried (it spares the peers a false alarm) but not counted.
 */
export type OutboxKind = 'invalidation' | 'heartbeat' | 'bye'

export interface OutboxOptions {
  /** Sends one message (see bus-wire.ts); a rejection, never a throw. */
  send(encoded: string): Promise<unknown>
  /** Whose 'ready' ends a pause between retries early. */
  publisher: RedisClient
  retryWindowMs: number
  limit: number
  /** Redis took this message (so it reached every subscriber). */
  delivered(kind: OutboxKind): void
  /** An attempt failed; the invalidations it carried are tried again. */
  retried(): void
  dropped(reason: BusDropReason): void
  /** The first failed attempt after a success: one report per outage, not one per retry. */
  failing(error: unknown): void
}

interface Entry {
  readonly kind: OutboxKind
  readonly encoded: string
  /** On `performance.now()`'s clock: dropped once past it, if attempted at least once. */
  readonly deadline: number
  attempted: boolean
  settled: boolean
  /** Resolves the promise `enqueue()` returned, once. */
  answer: ((taken: boolean) => void) | undefined
  /** flush() calls waiting for this entry. */
  waiters: Array<() => void> | undefined
}

/** Sent together, in order, on the one connection: Redis runs them in that order. */
const BATCH_LIMIT = 100
/** An attempt is given up on at its message's deadline, but never sooner than this. */
const MIN_ATTEMPT_MS = 1000

/**
 * The messages waiting to be published, oldest first, drained by one loop. A failed attempt is
 * retried with capped exponential backoff (50 ms to 1 s, or at once when the publisher is ready
 * again), and what comes later waits behind it: order is kept. A message still unsent after its
 * retry window, pushed out by overflow, or left at close() is dropped; receivers notice the gap
 * in the sequence numbers it leaves.
 */
export class Outbox {
  readonly #options: OutboxOptions
  #queue: Entry[] = []
  #draining = false
  #failures = 0
  /** Ends the backoff pause early; set only while the loop waits to retry. */
  #resume: (() => void) | undefined
  #closed = false
  /** Messages other than heartbeats dropped so far, for flush(). */
  #drops = 0

  constructor(options: OutboxOptions) {
    this.#options = options
  }

  get size(): number {
    return this.#queue.length
  }

  /**
   * Queues a message; never throws. Resolves once its fate for now is known: `true` when Redis took
   * it, `false` when its first attempt failed or it waits behind one that did (it stays queued).
   */
  enqueue(kind: OutboxKind, encoded: string): Promise<boolean> {
    if (this.#closed) {
      this.#countDrop(kind, 'closed')
      return Promise.resolve(false)
    }
    return new Promise((answer) => {
      const deadline = performance.now() + this.#options.retryWindowMs
      const entry: Entry = {
        kind,
        encoded,
        deadline,
        attempted: false,
        settled: false,
        answer,
        waiters: undefined,
      }
      this.#queue.push(entry)
      const oldest = this.#queue[0]
      if (this.#queue.length > this.#options.limit && oldest) this.#drop(oldest, 'overflow')
      if (this.#resume) this.#answer(entry, false)
      void this.#drain()
    })
  }

  /** Resolves once every message queued so far was sent or dropped: whether none was dropped. */
  async flush(): Promise<boolean> {
    const last = this.#queue.at(-1)
    if (last === undefined) return true
    const drops = this.#drops
    await new Promise<void>((resolve) => {
      last.waiters = [...(last.waiters ?? []), resolve]
    })
    return this.#drops === drops
  }

  /** Flushes for at most `timeoutMs`, then drops what is left and sends nothing more. */
  async close(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    const flushed = await Promise.race([this.flush(), timedOut])
    clearTimeout(timer)
    this.#closed = true
    for (const entry of [...this.#queue]) this.#drop(entry, 'closed')
    this.#resume?.()
    return flushed
  }

  async #drain(): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      while (!this.#closed) {
        this.#dropExpired()
        const batch = this.#queue.slice(0, BATCH_LIMIT)
        if (batch.length === 0) return
        const error = await this.#attempt(batch)
        if (error === undefined) {
          this.#failures = 0
          continue
        }
        if (++this.#failures === 1) this.#options.failing(error)
        this.#afterFailure(batch)
        await this.#pause(reconnectDelayMs(this.#failures))
      }
    } finally {
      this.#draining = false
    }
  }

  /** Sends the batch; answers the first error, or undefined if Redis took every message. */
  async #attempt(batch: readonly Entry[]): Promise<unknown> {
    const { send } = this.#options
    const outcomes = batch.map((entry) => {
      entry.attempted = true
      return send(entry.encoded).then(
        () => this.#deliver(entry), // even after the attempt was given up on: Redis took it
        (error: unknown) => error ?? new Error('PUBLISH failed'),
      )
    })
    const firstError = Promise.all(outcomes).then((errors) => errors.find((e) => e !== undefined))
    // A client with no command timeout could hold the loop for ever: bound the wait.
    const head = batch[0]
    const waitMs = Math.max(MIN_ATTEMPT_MS, (head?.deadline ?? 0) - performance.now())
    let timer: NodeJS.Timeout | undefined
    const givenUp = new Promise<Error>((resolve) => {
      timer = setTimeout(
        () => resolve(new Error(`PUBLISH unanswered after ${Math.round(waitMs)} ms`)),
        waitMs,
      )
      timer.unref() // a hung attempt never holds the process open
    })
    try {
      return await Promise.race([firstError, givenUp])
    } finally {
      clearTimeout(timer)
    }
  }

  #afterFailure(batch: readonly Entry[]): void {
    let retrying = false
    for (const entry of batch) {
      if (entry.settled) continue
      if (entry.kind === 'heartbeat') this.#drop(entry, 'expired')
      else if (entry.kind === 'invalidation') retrying = true
    }
    if (retrying) this.#options.retried()
    // Everything still queued now waits behind a failure: no telling when it goes.
    for (const entry of this.#queue) this.#answer(entry, false)
  }

  /** Waits `ms`, less if a message expires first, or until the publisher is ready again. */
  #pause(ms: number): Promise<void> {
    const { publisher, retryWindowMs } = this.#options
    const head = this.#queue[0]
    const untilExpiry = head === undefined ? 0 : head.deadline - performance.now()
    const waitMs = Math.max(0, Math.min(ms, retryWindowMs === 0 ? 0 : untilExpiry))
    return new Promise((resolve) => {
      const resume = () => {
        clearTimeout(timer)
        publisher.off('ready', resume)
        this.#resume = undefined
        resolve()
      }
      const timer = setTimeout(resume, waitMs)
      timer.unref() // a retry never holds the process open; close() bounds its own wait
      publisher.on('ready', resume)
      this.#resume = resume
    })
  }

  /** Drops what has had its chance: attempted at least once, and past its deadline. */
  #dropExpired(): void {
    const now = performance.now()
    const mayDrop = (entry: Entry) =>
      entry.deadline <= now && (entry.attempted || this.#options.retryWindowMs > 0)
    // Deadlines grow along the queue, and attempts go to its head.
    for (let head = this.#queue[0]; head && mayDrop(head); head = this.#queue[0]) {
      this.#drop(head, 'expired')
    }
  }

  #deliver(entry: Entry): undefined {
    if (!this.#settle(entry)) return
    this.#answer(entry, true)
    this.#options.delivered(entry.kind)
    this.#wake(entry)
  }

  #drop(entry: Entry, reason: BusDropReason): void {
    if (!this.#settle(entry)) return
    this.#answer(entry, false)
    this.#countDrop(entry.kind, reason)
    this.#wake(entry)
  }

  #countDrop(kind: OutboxKind, reason: BusDropReason): void {
    if (kind === 'heartbeat') return
    this.#drops++
    if (kind === 'invalidation') this.#options.dropped(reason)
  }

  /** Takes the entry out of the queue, once: answers whether this call did. */
  #settle(entry: Entry): boolean {
    if (entry.settled) return false
    entry.settled = true
    const index = this.#queue.indexOf(entry)
    if (index >= 0) this.#queue.splice(index, 1)
    return true
  }

  #answer(entry: Entry, taken: boolean): void {
    entry.answer?.(taken)
    entry.answer = undefined
  }

  #wake(entry: Entry): void {
    for (const waiter of entry.waiters ?? []) waiter()
    entry.waiters = undefined
  }
}
