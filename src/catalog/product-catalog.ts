import type { CacheLookup, CacheTier, Loader } from '@caching-strategies/cache'
import type { Queue } from 'bullmq'
import type { ProductRepository } from '../db/product-repository.js'
import { AppError } from '../errors.js'
import { enqueueRegenerateProductCache } from '../queues/regenerate-product-cache.js'
import { retryWithin } from '../retry-within.js'
import type { ReadThroughCache } from '../strategies/read-through-cache.js'
import type { PersistOutcome, ProductWriteBehind } from '../write-behind/product-write-behind.js'
import {
  BaseRowUnavailable,
  NotReplicated,
  REDIS_WAIT_MS,
  StageUnconfirmed,
  UndecodableWrite,
  WriteContention,
} from '../write-behind/write-refusals.js'
import { type ProductBatch, readBatch } from './batch-read.js'
import {
  databaseOrUnavailable,
  databaseOrWriteUnavailable,
  databaseUnavailable,
  notFound,
  orUnavailable,
  readThrough,
  unlessBusy,
  versionMismatch,
} from './catalog-errors.js'
import { type ListPageCaching, ListPagePolicy } from './list-page-policy.js'
import {
  categoryTag,
  LIST_PAGES_TAG,
  type Product,
  type ProductFields,
  type ProductPage,
} from './product.js'
import { NO_AUDIT, type ProductAudit } from './product-audit.js'
import type { ReadCounter } from './read-counter.js'

/** Products the warm-up loads at once: enough to overlap queries, few enough to spare the pool. */
const WARMUP_CONCURRENCY = 8
/**
 * Each warm-up halves the read counts after taking its top: a read weighs half as much per
 * warm-up interval gone by, so the top is "most read lately", not "most read ever".
 */
const READS_HALF_LIFE_FACTOR = 0.5

/** How a read was answered, for X-Cache, X-Cache-Tier and Cache-Control. */
export interface CacheOutcome {
  status: CacheLookup<unknown>['status']
  tier: CacheTier | undefined
  freshUntil: number
}

export interface ProductRead {
  product: Product
  cache: CacheOutcome
}

export interface ProductListing {
  page: ProductPage
  cache: CacheOutcome
}

export interface ProductCaches {
  products: ReadThroughCache<Product>
  /** List pages, tagged with LIST_PAGES_TAG. */
  pages: ReadThroughCache<ProductPage>
}

/**
 * The product use cases. Reads go through the cache; writes go to the database first, then
 * invalidate the product's entry and every list page, so the next read loads the committed row.
 * Errors come out as AppErrors from the closed set; routes only translate to HTTP.
 */
export class ProductCatalog {
  readonly #repository: ProductRepository
  readonly #products: ReadThroughCache<Product>
  readonly #pages: ReadThroughCache<ProductPage>
  readonly #queue: Queue
  readonly #reads: ReadCounter
  readonly #writeBehind: ProductWriteBehind
  readonly #listPages: ListPagePolicy
  readonly #audit: ProductAudit

  constructor(
    repository: ProductRepository,
    caches: ProductCaches,
    queue: Queue,
    reads: ReadCounter,
    writeBehind: ProductWriteBehind,
    {
      listPageCaching = 'bounded',
      audit = NO_AUDIT,
    }: {
      /** Which list pages are cached (see list-page-policy.ts). @default 'bounded' */
      listPageCaching?: ListPageCaching
      audit?: ProductAudit
    } = {},
  ) {
    this.#repository = repository
    this.#products = caches.products
    this.#pages = caches.pages
    this.#queue = queue
    this.#reads = reads
    this.#writeBehind = writeBehind
    this.#listPages = new ListPagePolicy({ caching: listPageCaching })
    this.#audit = audit
  }

  async read(id: number): Promise<ProductRead> {
    const lookup = await readThrough(this.#products, String(id), this.#loaderOf(id))
    return this.#answerRead(id, lookup)
  }

  /** Many products in one go (GET /products?ids=): see batch-read.ts. */
  async readMany(ids: readonly number[]): Promise<ProductBatch> {
    const batch = await readBatch(
      this.#products,
      (cold) => this.#writeBehind.reads.loadMany(cold),
      ids,
    )
    // Only ids that exist, as for single reads.
    for (const product of batch.items) this.#reads.record(product.id)
    return batch
  }

  /**
   * The same read when this process's memory holds the product fresh, answered without a
   * promise (the hottest path of the service); undefined: call read().
   */
  readFromMemory(id: number): ProductRead | undefined {
    const lookup = this.#products.getFromMemory(String(id), this.#loaderOf(id))
    return lookup && this.#answerRead(id, lookup)
  }

  /** A pending (write-behind) state comes first: reads see a write from its 202 on. */
  #loaderOf(id: number): Loader<Product> {
    return () => this.#writeBehind.reads.load(id)
  }

  #answerRead(id: number, lookup: CacheLookup<Product>): ProductRead {
    // "No such product" is cached too (negative caching), so a flood of 404s stays off the database.
    if (lookup.value === undefined) throw notFound(id)
    // Only ids that exist: made-up ids must not crowd real products out of the warm-up.
    this.#reads.record(id)
    if (lookup.status !== 'miss') this.#audit.served(id, lookup.value.version)
    return { product: lookup.value, cache: outcomeOf(lookup) }
  }

  /**
   * Only the pages the policy picks go through the cache; any other is loaded from the database
   * and answered as a miss nothing holds (X-Cache: MISS, no X-Cache-Tier, max-age=0).
   */
  async list(afterId: number | undefined, limit: number): Promise<ProductListing> {
    const load = () => this.#loadPage(afterId, limit)
    if (!this.#listPages.caches(afterId, limit)) return notCached(await databaseOrUnavailable(load))
    let lookup: CacheLookup<ProductPage>
    try {
      lookup = await this.#pages.getOrSet(`${afterId ?? 0}:${limit}`, async () => {
        const page = await load()
        // The cache stores whatever its loader answers: a page it must not store leaves by a throw.
        if (!this.#listPages.stores(page)) throw new NotStored(page)
        return page
      })
    } catch (error) {
      if (error instanceof NotStored) return notCached(error.page)
      throw databaseUnavailable(error)
    }
    if (lookup.value === undefined) throw new Error('A list page loader answered nothing')
    this.#listPages.handedOut(limit, lookup.value.next_cursor)
    return { page: lookup.value, cache: outcomeOf(lookup) }
  }

  async #loadPage(afterId: number | undefined, limit: number): Promise<ProductPage> {
    const page = await this.#repository.list({ afterId, limit })
    const next = page.nextAfterId === undefined ? null : String(page.nextAfterId)
    // Deferred writes show on list pages too, as they do on product reads.
    return { items: await this.#writeBehind.reads.overlay(page.items), next_cursor: next }
  }

  async create(fields: ProductFields): Promise<Product> {
    const outcome = await databaseOrWriteUnavailable(() => this.#repository.create(fields))
    return this.#settle(outcome, 0)
  }

  /**
   * PUT passes every field, PATCH some; `expectedVersion` comes from If-Match. Deferred
   * (`deferred: true`) when the client asked (`respondAsync`) or WRITE_MODE=behind: the write is
   * staged in Redis and a job persists it. A synchronous write first persists any pending one.
   */
  async update(
    id: number,
    fields: Partial<ProductFields>,
    expectedVersion?: number,
    { respondAsync = false }: { respondAsync?: boolean } = {},
  ): Promise<{ product: Product; deferred: boolean }> {
    if (this.#writeBehind.defers(respondAsync)) {
      await this.#refuseTakenSku(id, fields.sku)
      const staged = await this.#stageOrUnavailable(id, fields, expectedVersion)
      if (staged.status === 'not_found') throw notFound(id)
      if (staged.status === 'precondition_failed') throw versionMismatch(staged.currentVersion)
      if (staged.status === 'rejected') throw new AppError('validation_failed', staged.reason)
      this.#audit.written(id, staged.product.version)
      return { product: staged.product, deferred: staged.status === 'staged' }
    }
    const outcome = await unlessBusy(
      this.#writeBehind.whileHeld(
        id,
        () => this.#repository.update(id, fields, expectedVersion),
        (written) => (written.status === 'ok' ? written.product.version : undefined),
      ),
    )
    return { product: await this.#settle(outcome, id), deferred: false }
  }

  /**
   * A 202 promises the database will take the write: a SKU another product already has would be
   * refused by its job, and the acknowledged write lost. (A SKU another product's deferred write
   * staged but has not persisted yet is not seen here: that later job is refused, as before.)
   */
  async #refuseTakenSku(id: number, sku: string | undefined): Promise<void> {
    if (sku === undefined) return
    const owner = await databaseOrWriteUnavailable(() => this.#repository.skuOwner(sku))
    if (owner !== undefined && owner !== id) throw new AppError('duplicate_sku')
  }

  /**
   * A staging call that failed is asked about until Redis answers: a 503 then changed nothing,
   * unless Redis never answered (StageUnconfirmed), which the 503 says; If-Match on the retry
   * makes it safe either way.
   */
  async #stageOrUnavailable(
    id: number,
    fields: Partial<ProductFields>,
    expectedVersion: number | undefined,
  ) {
    try {
      return await this.#writeBehind.stage(id, fields, expectedVersion)
    } catch (error) {
      if (error instanceof UndecodableWrite) {
        throw new AppError(
          'validation_failed',
          'The write holds text that cannot be stored (e.g. half of a surrogate pair)',
          { cause: error },
        )
      }
      const detail =
        error instanceof WriteContention
          ? 'Other writes kept the product busy; nothing was changed; retry'
          : error instanceof StageUnconfirmed
            ? 'Redis did not answer in time: the write may or may not have been staged; read ' +
              'the product, then retry with If-Match'
            : error instanceof BaseRowUnavailable
              ? 'The database did not answer; nothing was changed; retry'
              : error instanceof NotReplicated
                ? 'The write reached no Redis replica in time and the database did not take it: ' +
                  'it may still be applied; read the product, then retry with If-Match'
                : 'Redis did not take the write; nothing was changed; retry'
      throw new AppError('service_unavailable', detail, { cause: error })
    }
  }

  async remove(id: number, expectedVersion?: number): Promise<void> {
    const outcome = await unlessBusy(
      this.#writeBehind.whileHeld(
        id,
        () => this.#repository.delete(id, expectedVersion),
        (deleted) => (deleted.status === 'ok' ? 'deleted' : undefined),
      ),
    )
    if (outcome.status === 'not_found') throw notFound(id)
    if (outcome.status === 'version_mismatch') throw versionMismatch(outcome.currentVersion)
    await this.#invalidateAfterWrite(id)
    this.#audit.written(id, 0) // no version of it may remain
  }

  /** Drops one product's entry everywhere: the next read loads it from the database. */
  invalidate(id: number): Promise<void> {
    return orUnavailable('the invalidation', this.#products.delete(String(id)))
  }

  /** Drops every product of a category, in O(1) Redis calls, however many there are. */
  invalidateCategory(category: string): Promise<void> {
    return orUnavailable('the invalidation', this.#products.deleteByTag([categoryTag(category)]))
  }

  /** Queues a regeneration of the product's cache entry; answers the job's id. */
  async requestRegeneration(id: number): Promise<string> {
    const job = await orUnavailable('the job', enqueueRegenerateProductCache(this.#queue, id))
    if (job.id === undefined) throw new Error('BullMQ gave the job no id')
    return job.id
  }

  /**
   * Reloads the product from the database and refreshes its cache entry everywhere (the job's
   * work). Answers undefined when there is no such product.
   */
  async regenerate(id: number): Promise<Product | undefined> {
    await this.#products.delete(String(id))
    const lookup = await this.#products.getOrSet(String(id), this.#loaderOf(id))
    return lookup.value
  }

  /** Persists the product's latest pending write (the persist job's work). */
  persistPendingWrite(id: number, version: number): Promise<PersistOutcome> {
    return this.#writeBehind.persist(id, version)
  }

  /** Queues a job for every pending write that has none that will run; answers how many. */
  sweepPendingWrites(): Promise<number> {
    return this.#writeBehind.sweep()
  }

  /**
   * Loads the `topN` most-read products into the cache (the warm-up job's work), a few at a
   * time; answers how many are cached. A product that fails to load is skipped, but a warm-up
   * that loaded nothing and failed fails, so an outage shows in the job.
   */
  async warmUp(topN: number): Promise<number> {
    const ids = (await this.#reads.top(topN)).values()
    await this.#reads.age(READS_HALF_LIFE_FACTOR)
    let warmed = 0
    const failures: unknown[] = []
    // Each lane takes the next id from the one shared iterator until none is left.
    const lane = async () => {
      for (const id of ids) {
        try {
          const lookup = await this.#products.getOrSet(String(id), this.#loaderOf(id))
          if (lookup.value !== undefined) warmed++
        } catch (error) {
          failures.push(error)
        }
      }
    }
    await Promise.all(Array.from({ length: WARMUP_CONCURRENCY }, lane))
    if (warmed === 0 && failures.length > 0) {
      throw new AggregateError(failures, `The warm-up loaded none of ${failures.length} products`)
    }
    return warmed
  }

  get keyVersion(): number {
    return this.#products.version
  }

  /** Moves every instance to new keys at once: O(1), old entries simply expire. */
  bumpKeyVersion(): Promise<number> {
    return orUnavailable('the version bump', this.#products.bumpVersion())
  }

  /**
   * The write is committed, so it must not fail now: answering 5xx would invite a retry of a
   * write that happened. Each invalidation is asked again through a Redis stall or restart (up
   * to REDIS_WAIT_MS); if Redis stays away longer (the cache reported it), the old value lives
   * at most one TTL in Redis, and the bus tells the other instances' L1s that they missed news.
   */
  async #invalidateAfterWrite(id: number): Promise<void> {
    const deadline = Date.now() + REDIS_WAIT_MS
    await Promise.allSettled([
      retryWithin(deadline, () => this.#products.delete(String(id))),
      retryWithin(deadline, () => this.#pages.deleteByTag([LIST_PAGES_TAG])),
    ])
  }

  async #settle(outcome: Awaited<ReturnType<ProductRepository['update']>>, id: number) {
    switch (outcome.status) {
      case 'ok': {
        const product: Product = outcome.product
        // Also drops a cached "no such product" for a newly created id.
        await this.#invalidateAfterWrite(product.id)
        this.#audit.written(product.id, product.version)
        return product
      }
      case 'not_found':
        throw notFound(id)
      case 'version_mismatch':
        throw versionMismatch(outcome.currentVersion)
      case 'duplicate_sku':
        throw new AppError('duplicate_sku')
    }
  }
}

/** A loaded list page the policy keeps out of the cache (one past the end), on its way out. */
class NotStored extends Error {
  readonly page: ProductPage
  constructor(page: ProductPage) {
    super('A list page not to store')
    this.page = page
  }
}

/** Loaded from the database and held by no tier: nothing for an HTTP cache to keep either. */
function notCached(page: ProductPage): ProductListing {
  return { page, cache: { status: 'miss', tier: undefined, freshUntil: Date.now() } }
}

function outcomeOf(lookup: CacheLookup<unknown>): CacheOutcome {
  return { status: lookup.status, tier: lookup.tier, freshUntil: lookup.freshUntil }
}
