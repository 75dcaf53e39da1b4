import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Queue } from 'bullmq'
import {
  LIST_PAGES_TAG,
  type Product,
  type ProductFields,
  type ProductPage,
} from '../catalog/product.js'
import { writableFields } from '../db/product-record.js'
import type { ProductRepository } from '../db/product-repository.js'
import { enqueuePersistProductWrite, persistJobId } from '../queues/persist-product-write.js'
import { retryWithin } from '../retry-within.js'
import type { ReadThroughCache } from '../strategies/read-through-cache.js'
import { DeferredReads } from './deferred-reads.js'
import {
  type PendingRecord,
  type PendingWrite,
  type PendingWrites,
  type StageOutcome,
  UnreadablePendingState,
} from './pending-writes.js'
import { ProductHolds } from './product-holds.js'
import type { Durability } from './redis-durability.js'
import { ReplicaGate, type ReplicationPolicy } from './replica-gate.js'
import {
  BaseRowUnavailable,
  isDecodeRefusal,
  NotReplicated,
  REDIS_WAIT_MS,
  StageUnconfirmed,
  UndecodableWrite,
  WAIT_MS,
  WriteContention,
} from './write-refusals.js'

export type WriteMode = 'through' | 'behind'

export type StageResult =
  | { status: 'staged'; product: Product }
  /** Staged, but not on enough replicas in time: applied to the database at once instead. */
  | { status: 'applied'; product: Product }
  /** …and the database refused it (it would have failed its job): nothing was written. */
  | { status: 'rejected'; reason: string }
  | { status: 'not_found' }
  | { status: 'precondition_failed'; currentVersion: number }

export type PersistOutcome =
  | { status: 'persisted'; version: number }
  | { status: 'coalesced' }
  | { status: 'rejected'; reason: string }

export interface ProductWriteBehindOptions {
  pending: PendingWrites
  repository: ProductRepository
  queue: Queue
  caches: { products: ReadThroughCache<Product>; pages: ReadThroughCache<ProductPage> }
  /** behind: every PUT/PATCH is deferred; through: only those that ask (Prefer: respond-async). */
  mode: WriteMode
  /** Whether Redis keeps staged writes through a restart (redis-durability.ts). */
  durability: { readonly deferrable: boolean; readonly current: Durability | undefined }
  /** Replicas a staged write must reach before its 202 (replica-gate.ts). @default none asked */
  replication?: ReplicationPolicy
  /**
   * Refuse a synchronous write that cannot take its hold, rather than write around a deferred
   * write that may be staged. Off only to show what it prevents. @default true
   */
  refuseWithoutHold?: boolean
  /** A Redis call failed where the write goes on regardless (an enqueue the sweep will redo). */
  onError?: (error: unknown, what: string) => void
}

/**
 * Write-behind for products. A deferred write is staged in Redis (pending-writes.ts) and
 * acknowledged; a job persists it. Reads see the pending state before the database row, so
 * they see the write from the moment it is acknowledged until (and after) it is persisted.
 */
export class ProductWriteBehind {
  readonly #pending: PendingWrites
  readonly #repository: ProductRepository
  readonly #queue: Queue
  readonly #products: ReadThroughCache<Product>
  readonly #pages: ReadThroughCache<ProductPage>
  readonly #mode: WriteMode
  readonly #durability: ProductWriteBehindOptions['durability']
  readonly #holds: ProductHolds
  readonly #replicas: ReplicaGate
  readonly #onError: (error: unknown, what: string) => void
  /** How reads see the writes staged here (pending state first, then the row). */
  readonly reads: DeferredReads

  constructor(options: ProductWriteBehindOptions) {
    this.#pending = options.pending
    this.#repository = options.repository
    this.#queue = options.queue
    this.#products = options.caches.products
    this.#pages = options.caches.pages
    this.#mode = options.mode
    this.#durability = options.durability
    this.#onError = options.onError ?? (() => {})
    this.#replicas = new ReplicaGate(options.pending, options.replication, this.#onError)
    this.reads = new DeferredReads(options.pending, options.repository, this.#onError)
    this.#holds = new ProductHolds({
      pending: options.pending,
      durability: options.durability,
      refuseWithoutHold: options.refuseWithoutHold ?? true,
      flush: (id) => this.#flush(id),
      onError: this.#onError,
    })
  }

  /**
   * Whether a PUT/PATCH is deferred: the client asked for it, or every write is, and Redis keeps
   * what it is given. Otherwise the preference is declined (RFC 7240 allows it): a 202 would be a
   * promise that the next Redis restart breaks.
   */
  defers(clientAsked: boolean): boolean {
    return (clientAsked || this.#mode === 'behind') && this.#durability.deferrable
  }

  /**
   * Stages a write on the latest state (pending, else the database row) and enqueues its
   * persistence. `expectedVersion` (If-Match) is checked against that latest state.
   */
  async stage(
    id: number,
    fields: Partial<ProductFields>,
    expectedVersion: number | undefined,
  ): Promise<StageResult> {
    const writeId = randomUUID()
    const request = {
      writeId,
      fields: writableFields(fields),
      expectedVersion,
      updatedAt: nowIso(),
    }
    let base: { row: Product; seen: string } | undefined
    const deadline = Date.now() + WAIT_MS
    for (;;) {
      let outcome: StageOutcome
      try {
        outcome = await this.#pending.stage(id, { ...request, base })
      } catch (error) {
        if (isDecodeRefusal(error)) {
          throw new UndecodableWrite('Redis could not decode the write', { cause: error })
        }
        // The call may still run (a timeout in a stall): answer by what it did, never guess.
        const staged = await this.#receiptOf(id, writeId, error)
        if (staged) outcome = { status: 'staged', state: staged }
        else if (Date.now() > deadline) throw error
        else continue // it did not run, and never will: stage again
      }
      if (outcome.status === 'staged') return this.#acknowledge(id, outcome.state)
      if (outcome.status === 'precondition_failed') return outcome
      if (Date.now() > deadline) throw new WriteContention(`Product ${id} stayed busy`)
      if (outcome.status === 'busy') {
        await sleep(5 + Math.random() * 10)
        continue
      }
      // Nothing pending: build on the row, read after the version the hash holds now.
      const row = await this.#repository.findById(id).catch((error: unknown) => {
        throw new BaseRowUnavailable('The database did not answer', { cause: error })
      })
      if (row === undefined) return { status: 'not_found' }
      base = { row, seen: outcome.seen }
    }
  }

  /**
   * What the write staged, asked until Redis answers (then it has run the failed call, or never
   * will). Throws StageUnconfirmed if Redis does not answer within REDIS_WAIT_MS.
   */
  async #receiptOf(id: number, writeId: string, failure: unknown): Promise<Product | undefined> {
    this.#onError(failure, 'stage a write (asking whether it ran)')
    try {
      return await retryWithin(Date.now() + REDIS_WAIT_MS, () => this.#pending.receipt(id, writeId))
    } catch (error) {
      throw new StageUnconfirmed(`Redis did not answer within ${REDIS_WAIT_MS} ms`, {
        cause: error,
      })
    }
  }

  /**
   * A staged write is acknowledged (202) once it is safe from a failover: on as many replicas as
   * required. Short of that in time, Redis alone has it, and a master that died now would take
   * it along: so it is applied to the database at once (answered like a synchronous write), or,
   * if the database cannot take it either, refused with a 503 that says it may still land.
   */
  async #acknowledge(id: number, state: Product): Promise<StageResult> {
    const shortfall = await this.#replicas.shortfall(id)
    if (shortfall !== undefined) {
      try {
        const flushed = await this.#flush(id)
        if (flushed.status === 'persisted') return { status: 'applied', product: state }
        if (flushed.status === 'rejected') return flushed
      } catch (error) {
        this.#onError(error, 'apply a write no replica confirmed')
      }
      await this.#afterStaging(id, state) // it stays staged: its job persists it later
      throw new NotReplicated(`${shortfall}, and the database did not take it`)
    }
    await this.#afterStaging(id, state)
    return { status: 'staged', product: state }
  }

  /**
   * The job's work: writes the latest pending state (which includes every write coalesced into
   * it) if the row is older, then ends it and drops the cached copy. Safe to run any number of
   * times, in any order. Throws when the database does not answer (the job is retried).
   */
  async persist(id: number, version: number): Promise<PersistOutcome> {
    const flushed = await this.#flush(id)
    if (flushed.status !== 'nothing_pending') return flushed
    // If a refused write took this one with it, say so (again: a retry of the job that refused
    // it lands here, and must also make sure the cached copy is gone).
    const { rejection } = flushed
    if (rejection !== undefined && version <= rejection.through) {
      const row = await this.#repository.findById(id)
      if ((row?.version ?? 0) < version) {
        await this.#products.delete(String(id))
        await this.#dropListPages('a refused write')
        return { status: 'rejected', reason: rejection.reason }
      }
    }
    return { status: 'coalesced' }
  }

  /**
   * Runs a synchronous write with the product held (product-holds.ts): its pending writes reach
   * the database first, and none is staged on the row it is replacing.
   */
  whileHeld<T>(
    id: number,
    write: () => Promise<T>,
    wrote: (result: T) => number | 'deleted' | undefined,
  ): Promise<T> {
    return this.#holds.whileHeld(id, write, wrote)
  }

  /**
   * Makes sure every pending write has a job that will run: enqueues the missing ones (an API
   * that died between staging and enqueueing) and retries those that gave up (a database down
   * for longer than the retries lasted). Answers how many it (re)queued.
   */
  async sweep(): Promise<number> {
    let queued = 0
    for await (const id of this.#pending.ids()) {
      try {
        const version = await this.#pendingVersion(id)
        if (version !== undefined && (await this.#ensureJob(id, version))) queued++
      } catch (error) {
        this.#onError(error, `sweep the pending write of product ${id}`)
      }
    }
    return queued
  }

  async #pendingVersion(id: number): Promise<number | undefined> {
    try {
      return (await this.#pending.read(id)).pending?.version
    } catch (error) {
      if (error instanceof UnreadablePendingState) return error.version // its job will refuse it
      throw error
    }
  }

  async #ensureJob(id: number, version: number): Promise<boolean> {
    const job = await this.#queue.getJob(persistJobId(id, version))
    if (job === undefined) {
      await enqueuePersistProductWrite(this.#queue, id, version)
      return true
    }
    const state = await job.getState()
    if (state !== 'failed' && state !== 'completed') return false
    await job.retry(state, { resetAttemptsMade: true })
    return true
  }

  /** Applies the latest pending state, if there is one. */
  async #flush(
    id: number,
  ): Promise<
    PersistOutcome | { status: 'nothing_pending'; rejection: PendingRecord['rejection'] }
  > {
    let record: PendingRecord
    try {
      record = await this.#pending.read(id)
    } catch (error) {
      if (!(error instanceof UnreadablePendingState)) throw error
      return this.#reject(id, error.version, error.message)
    }
    if (record.pending !== undefined) return this.#apply(id, record.pending)
    return { status: 'nothing_pending', rejection: record.rejection }
  }

  async #afterStaging(id: number, state: Product): Promise<void> {
    // The write is durable once staged. If the job cannot be queued now (the queue's master is
    // failing over), it is asked again in the background for REDIS_WAIT_MS, so the write need
    // not wait for the sweep (every SWEEP_INTERVAL_MS); past that, the sweep queues it.
    const enqueue = () => enqueuePersistProductWrite(this.#queue, id, state.version)
    try {
      await enqueue()
    } catch (error) {
      this.#onError(error, 'enqueue a persist job (asking again in the background)')
      retryWithin(Date.now() + REDIS_WAIT_MS, enqueue).catch((late: unknown) =>
        this.#onError(late, 'enqueue a persist job (the sweep will)'),
      )
    }
    // Every instance's next read loads again, and so finds the pending state. Asked again
    // through a stall; should Redis stay away longer, the job's own invalidation follows.
    try {
      await retryWithin(Date.now() + REDIS_WAIT_MS, () => this.#products.delete(String(id)))
    } catch (error) {
      this.#onError(error, 'invalidate a product after staging a write')
    }
    await this.#dropListPages('staging a write')
  }

  async #apply(id: number, { version, state }: PendingWrite): Promise<PersistOutcome> {
    const outcome = await this.#repository.applyIfNewer(
      id,
      productFields(state),
      version,
      state.updated_at,
    )
    switch (outcome.status) {
      case 'applied':
      case 'already_newer':
        await this.#pending.settle(id, version)
        // The cached copy was the pending state; the row adds fresh review aggregates.
        await Promise.allSettled([
          this.#products.delete(String(id)),
          this.#pages.deleteByTag([LIST_PAGES_TAG]),
        ])
        return { status: 'persisted', version }
      case 'not_found':
        return this.#reject(id, version, `Product ${id} no longer exists`)
      case 'duplicate_sku':
        return this.#reject(id, version, `Another product already has SKU ${state.sku}`)
      case 'constraint_violation':
        // The database's own message stays in the log: the reason is shown to board users.
        this.#onError(new Error(outcome.reason), `persist product ${id} (the database refused it)`)
        return this.#reject(id, version, 'The database refused the values (a constraint)')
    }
  }

  /** Drops a refused state, then the cached copy, so reads load what the database holds. */
  async #reject(id: number, version: number, reason: string): Promise<PersistOutcome> {
    await this.#pending.settle(id, version, reason)
    // Must happen: if it throws, the job's retry lands in `persist`'s rejection branch and
    // drops the cached copy again.
    await this.#products.delete(String(id))
    await this.#dropListPages('a refused write')
    return { status: 'rejected', reason }
  }

  /** List pages show pending states too (overlay); they are only pages: dropped best effort. */
  async #dropListPages(after: string): Promise<void> {
    try {
      await retryWithin(Date.now() + REDIS_WAIT_MS, () => this.#pages.deleteByTag([LIST_PAGES_TAG]))
    } catch (error) {
      this.#onError(error, `invalidate the list pages after ${after}`)
    }
  }
}

function productFields(product: Product): ProductFields {
  const { sku, name, description, price_cents, currency, category, stock } = product
  return { sku, name, description, price_cents, currency, category, stock }
}

const nowIso = () => new Date().toISOString()
