import type { Queue } from 'bullmq'
import type { CacheLookup, CacheTier, Loader, ReadThroughCache } from '../cache/index.js'
import type { ProductRepository } from '../db/product-repository.js'
import { AppError } from '../errors.js'
import { enqueueRegenerateProductCache } from '../queues/regenerate-product-cache.js'
import {
  categoryTag,
  LIST_PAGES_TAG,
  type Product,
  type ProductFields,
  type ProductPage,
} from './product.js'

/** How a read was answered, for X-Cache, X-Cache-Tier and Cache-Control. */
export interface CacheOutcome {
  status: CacheLookup<unknown>['status']
  tier: CacheTier | undefined
  freshUntil: number
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

  constructor(repository: ProductRepository, caches: ProductCaches, queue: Queue) {
    this.#repository = repository
    this.#products = caches.products
    this.#pages = caches.pages
    this.#queue = queue
  }

  async read(id: number): Promise<{ product: Product; cache: CacheOutcome }> {
    const lookup = await readThrough(this.#products, String(id), () =>
      this.#repository.findById(id),
    )
    // "No such product" is cached too (negative caching), so a flood of 404s stays off the database.
    if (lookup.value === undefined) throw notFound(id)
    return { product: lookup.value, cache: outcomeOf(lookup) }
  }

  async list(afterId: number | undefined, limit: number) {
    const lookup = await readThrough(this.#pages, `${afterId ?? 0}:${limit}`, async () => {
      const page = await this.#repository.list({ afterId, limit })
      const next = page.nextAfterId === undefined ? null : String(page.nextAfterId)
      return { items: page.items, next_cursor: next }
    })
    if (lookup.value === undefined) throw new Error('A list page loader answered nothing')
    return { page: lookup.value, cache: outcomeOf(lookup) }
  }

  async create(fields: ProductFields): Promise<Product> {
    const outcome = await this.#repository.create(fields)
    return this.#settle(outcome, 0)
  }

  /** PUT passes every field, PATCH some; `expectedVersion` comes from If-Match. */
  async update(id: number, fields: Partial<ProductFields>, expectedVersion?: number) {
    const outcome = await this.#repository.update(id, fields, expectedVersion)
    return this.#settle(outcome, id)
  }

  async remove(id: number, expectedVersion?: number): Promise<void> {
    const outcome = await this.#repository.delete(id, expectedVersion)
    if (outcome.status === 'not_found') throw notFound(id)
    if (outcome.status === 'version_mismatch') throw versionMismatch(outcome.currentVersion)
    await this.#invalidateAfterWrite(id)
  }

  /** Drops one product's entry everywhere: the next read loads it from the database. */
  invalidate(id: number): Promise<void> {
    return orUnavailable('the invalidation', this.#products.delete(String(id)))
  }

  /** Drops every product of a category, in O(1) Redis calls, however many there are. */
  invalidateCategory(category: string): Promise<void> {
    return orUnavailable('the invalidation', this.#products.invalidateTags([categoryTag(category)]))
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
    const lookup = await this.#products.getOrSet(String(id), () => this.#repository.findById(id))
    return lookup.value
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
   * write that happened. If Redis cannot take the invalidation (the cache reported it), the old
   * value lives at most one TTL; with Redis unreachable, reads bypass it meanwhile anyway.
   */
  async #invalidateAfterWrite(id: number): Promise<void> {
    await Promise.allSettled([
      this.#products.delete(String(id)),
      this.#pages.invalidateTags([LIST_PAGES_TAG]),
    ])
  }

  async #settle(outcome: Awaited<ReturnType<ProductRepository['update']>>, id: number) {
    switch (outcome.status) {
      case 'ok': {
        const product: Product = outcome.product
        // Also drops a cached "no such product" for a newly created id.
        await this.#invalidateAfterWrite(product.id)
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

/** With nothing cached to serve, a failing or slow database is a 503, not a 500. */
async function readThrough<T>(cache: ReadThroughCache<T>, id: string, loader: Loader<T>) {
  try {
    return await cache.getOrSet(id, loader)
  } catch (error) {
    throw new AppError(
      'service_unavailable',
      'The database did not answer, and nothing was cached',
      {
        cause: error,
      },
    )
  }
}

function outcomeOf(lookup: CacheLookup<unknown>): CacheOutcome {
  return { status: lookup.status, tier: lookup.tier, freshUntil: lookup.freshUntil }
}

async function orUnavailable<T>(what: string, pending: Promise<T>): Promise<T> {
  try {
    return await pending
  } catch (error) {
    throw new AppError('service_unavailable', `Redis did not take ${what}; retry`, { cause: error })
  }
}

function notFound(id: number): AppError {
  return new AppError('not_found', `Product ${id} does not exist`)
}

function versionMismatch(currentVersion: number): AppError {
  return new AppError('precondition_failed', `The product is at version ${currentVersion}`, {
    extensions: { current_version: currentVersion },
  })
}
