import {
  defineScript,
  masterConnections,
  type RedisClient,
  type ScriptCall,
} from '@caching-strategies/cache'
import { isProduct, type Product, type ProductFields } from '../catalog/product.js'
import { HOLD, RELEASE, SETTLE, STAGE } from './scripts.js'

/** A write acknowledged to the client and not yet in the database: the whole product after it. */
export interface PendingWrite {
  version: number
  state: Product
}

/** What Redis holds for one product. */
export interface PendingRecord {
  pending: PendingWrite | undefined
  /** The database refused version `through`; writes coalesced into it were dropped with it. */
  rejection: { through: number; reason: string } | undefined
}

export type StageOutcome =
  | { status: 'staged'; state: Product }
  /** Nothing is pending: call again with the database row, read after `seen` was current. */
  | { status: 'need_base'; seen: string }
  | { status: 'precondition_failed'; currentVersion: number }
  /** A synchronous write holds the product for a moment. */
  | { status: 'busy' }

export interface StageRequest {
  /** Unique to the write, for its receipt (see `receipt`). */
  writeId: string
  fields: Partial<ProductFields>
  expectedVersion: number | undefined
  updatedAt: string
  /** The database row and the hash version seen before reading it (from `need_base`). */
  base?: { row: Product; seen: string }
}

/** 'pending': a staged write must reach the database first. */
export type HoldOutcome = 'held' | 'pending'

/** A pending state that does not decode: written by hand, or by an incompatible release. */
export class UnreadablePendingState extends Error {
  override name = 'UnreadablePendingState'
  /** The pending write's version, to settle it by. */
  version = 0
}

export interface PendingWritesOptions {
  redis: RedisClient
  /**
   * The connection that stages writes and then asks Redis how many replicas have them (WAIT
   * counts the writes of its own connection, and blocks it meanwhile: not the cache's).
   * @default redis
   */
  stager?: RedisClient
  /** Prepended to every key, e.g. `staging:`. @default '' */
  keyPrefix?: string
  /**
   * How long a product's version fence outlives its last persisted or synchronous write. Only a
   * write staged on a database row read longer ago than this could slip past it.
   * @default 3_600_000 (an hour)
   */
  fenceTtlMs?: number
}

/**
 * The pending writes in Redis. Per product a hash with the staged state and its version, no
 * TTL while a write is pending (so it is never expired or evicted by a volatile-* policy). A
 * product's keys share a hash tag of their own, `{<prefix>pending:<id>}`: its scripts run on
 * Redis Cluster, and the products spread over its masters. The worker's sweep finds the pending
 * hashes by scanning every master.
 */
export class PendingWrites {
  readonly #redis: RedisClient
  readonly #stager: RedisClient
  readonly #prefix: string
  readonly #fenceTtlMs: number
  readonly #stage: ScriptCall
  readonly #settle: ScriptCall
  readonly #hold: ScriptCall
  readonly #release: ScriptCall

  constructor({
    redis,
    stager = redis,
    keyPrefix = '',
    fenceTtlMs = 3_600_000,
  }: PendingWritesOptions) {
    this.#redis = redis
    this.#stager = stager
    this.#prefix = keyPrefix
    this.#fenceTtlMs = fenceTtlMs
    this.#stage = defineScript(stager, STAGE)
    this.#settle = defineScript(redis, SETTLE)
    this.#hold = defineScript(redis, HOLD)
    this.#release = defineScript(redis, RELEASE)
  }

  /** The product's hash tag: every key of its pending write hashes to one slot. */
  #tagOf(id: number): string {
    return `{${this.#prefix}pending:${id}}`
  }

  /** The product's hash, e.g. `{pending:42}:product`. */
  keyOf(id: number): string {
    return `${this.#tagOf(id)}:product`
  }

  /** What a write staged, kept RECEIPT_TTL_MS (stage.lua). */
  #receiptKey(id: number, writeId: string): string {
    return `${this.#tagOf(id)}:write:${writeId}`
  }

  /** The synchronous writes under way on the product (hold.lua). */
  #holdersKey(id: number): string {
    return `${this.#tagOf(id)}:holders`
  }

  async read(id: number): Promise<PendingRecord> {
    const [version, state, through, reason] = await this.#redis.hmget(
      this.keyOf(id),
      'version',
      'state',
      'rejected_through',
      'reason',
    )
    let pending: PendingWrite | undefined
    try {
      pending =
        typeof state === 'string' ? { version: Number(version), state: decode(state) } : undefined
    } catch (error) {
      if (error instanceof UnreadablePendingState) error.version = Number(version)
      throw error
    }
    return {
      pending,
      rejection:
        typeof through === 'string'
          ? { through: Number(through), reason: reason ?? 'refused' }
          : undefined,
    }
  }

  /** The pending state alone: what a read must see instead of the database row. */
  async stateOf(id: number): Promise<Product | undefined> {
    const state = await this.#redis.hget(this.keyOf(id), 'state')
    return state === null ? undefined : decode(state)
  }

  async stage(id: number, request: StageRequest): Promise<StageOutcome> {
    const reply = await this.#stage(
      [this.keyOf(id), this.#holdersKey(id), this.#receiptKey(id, request.writeId)],
      [
        JSON.stringify(request.fields),
        request.expectedVersion ?? '',
        request.updatedAt,
        request.base ? JSON.stringify(request.base.row) : '',
        request.base?.seen ?? '',
        RECEIPT_TTL_MS,
      ],
    )
    const [status, detail = ''] = reply as [string, string?]
    switch (status) {
      case 'staged':
        return { status, state: decode(detail) }
      case 'need_base':
        return { status, seen: detail }
      case 'precondition_failed':
        return { status, currentVersion: Number(detail) }
      case 'busy':
        return { status }
      default:
        throw new Error(`stage.lua answered ${status}`)
    }
  }

  /**
   * What the write `writeId` staged, or undefined if it staged nothing. Asked after a staging
   * call failed: on the same connection, so Redis answers it only after running that call, if it
   * ever got it.
   */
  async receipt(id: number, writeId: string): Promise<Product | undefined> {
    const state = await this.#stager.get(this.#receiptKey(id, writeId))
    return state === null ? undefined : decode(state)
  }

  /**
   * Ends the pending write at `version`: the database took it, or refused it for `reason`.
   * Answers false when a newer write was staged meanwhile; that one stays pending.
   */
  async settle(id: number, version: number, reason?: string): Promise<boolean> {
    const keys = [this.keyOf(id)]
    return (await this.#settle(keys, [version, reason ?? '', this.#fenceTtlMs])) === 1
  }

  /**
   * How many replicas have everything the stager wrote so far, the product's staged state
   * included: Redis WAIT, sent with a read of the product's hash so that on a Cluster it goes to
   * the master that holds it. Answers at least `replicas` as soon as that many have it, else what
   * it got after `timeoutMs`.
   */
  async replicated(id: number, replicas: number, timeoutMs: number): Promise<number> {
    const replies = await this.#stager
      .pipeline()
      .exists(this.keyOf(id))
      .wait(replicas, timeoutMs)
      .exec()
    const [error, acknowledged] = replies?.[1] ?? [new Error('WAIT got no reply')]
    if (error) throw error
    return Number(acknowledged)
  }

  /** Holds the product for a synchronous write; release it with the same token. */
  async hold(id: number, token: string, ttlMs: number): Promise<HoldOutcome> {
    const keys = [this.keyOf(id), this.#holdersKey(id)]
    return (await this.#hold(keys, [token, ttlMs])) as HoldOutcome
  }

  /** Frees the product and fences the write made under the hold: its version, or a deletion. */
  async release(id: number, token: string, wrote: number | 'deleted' | undefined): Promise<void> {
    const committed = wrote === undefined ? '' : wrote === 'deleted' ? '+' : wrote
    const keys = [this.keyOf(id), this.#holdersKey(id)]
    await this.#release(keys, [token, committed, this.#fenceTtlMs])
  }

  /**
   * Every id with a pending hash (a write pending, or only its fence), master by master, a page
   * at a time (SCAN: never blocks Redis; an id may come twice). The caller reads each one.
   */
  async *ids(): AsyncGenerator<number> {
    const pattern = `{${escapeGlob(this.#prefix)}pending:*}:product`
    const id = new RegExp(`^\\{${escapeRegExp(this.#prefix)}pending:(\\d+)\\}:product$`)
    for (const master of masterConnections(this.#redis)) {
      let cursor = '0'
      do {
        const [next, keys] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        for (const key of keys) {
          const match = id.exec(key)
          if (match) yield Number(match[1])
        }
        cursor = next
      } while (cursor !== '0')
    }
  }
}

/** Longer than any writer keeps asking whether its write was staged. */
const RECEIPT_TTL_MS = 600_000

const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&')
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function decode(json: string): Product {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new UnreadablePendingState('A pending state is not JSON', { cause: error })
  }
  if (!isProduct(value)) throw new UnreadablePendingState('A pending state is not a product')
  return value
}
