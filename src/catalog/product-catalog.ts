import type { Cache, CacheTier } from '../cache/index.js'
import type { ProductPage, ProductRepository } from '../db/product-repository.js'
import { AppError } from '../errors.js'
import type { Product, ProductFields } from './product.js'

export interface ProductRead {
  product: Product
  /** `cache` when a tier answered, `db` when the loader ran. */
  source: 'cache' | 'db'
  tier?: CacheTier
}

/**
 * The product use cases: reads go through the cache (cache-aside); writes go to the database
 * first, then invalidate the product's key, so the next read loads the committed row.
 * Errors come out as AppErrors from the closed set; routes only translate to HTTP.
 */
export class ProductCatalog {
  constructor(
    private readonly repository: ProductRepository,
    private readonly cache: Cache<Product>,
  ) {}

  async read(id: number): Promise<ProductRead> {
    const lookup = await this.cache.getOrSet(String(id), () => this.repository.findById(id))
    if (lookup.value === undefined) throw new AppError('not_found', `Product ${id} does not exist`)
    if (lookup.status === 'hit')
      return { product: lookup.value, source: 'cache', tier: lookup.tier }
    return { product: lookup.value, source: 'db' }
  }

  list(afterId: number | undefined, limit: number): Promise<ProductPage> {
    return this.repository.list({ afterId, limit })
  }

  async create(fields: ProductFields): Promise<Product> {
    const outcome = await this.repository.create(fields)
    return this.settle(outcome, 0)
  }

  /** PUT passes every field, PATCH some; `expectedVersion` comes from If-Match. */
  async update(id: number, fields: Partial<ProductFields>, expectedVersion?: number) {
    const outcome = await this.repository.update(id, fields, expectedVersion)
    return this.settle(outcome, id)
  }

  async remove(id: number, expectedVersion?: number): Promise<void> {
    const outcome = await this.repository.delete(id, expectedVersion)
    if (outcome.status === 'not_found') throw notFound(id)
    if (outcome.status === 'version_mismatch') throw versionMismatch(outcome.currentVersion)
    await this.invalidateAfterWrite(id)
  }

  /** Drops one product's entry: the next read loads it from the database. */
  async invalidate(id: number): Promise<void> {
    try {
      await this.cache.delete(String(id))
    } catch (error) {
      throw new AppError('service_unavailable', 'Redis did not take the invalidation; retry', {
        cause: error,
      })
    }
  }

  get keyVersion(): number {
    return this.cache.version
  }

  /** Moves every instance to new keys at once: O(1), old entries simply expire. */
  async bumpKeyVersion(): Promise<number> {
    try {
      return await this.cache.bumpVersion()
    } catch (error) {
      throw new AppError('service_unavailable', 'Redis did not take the version bump; retry', {
        cause: error,
      })
    }
  }

  /**
   * The write is committed, so it must not fail now: answering 5xx would invite a retry of a
   * write that happened. If Redis cannot drop the entry (the cache reported it), the old value
   * lives at most one TTL; with Redis unreachable, reads bypass it meanwhile anyway.
   */
  private async invalidateAfterWrite(id: number): Promise<void> {
    await this.cache.delete(String(id)).catch(() => undefined)
  }

  private async settle(
    outcome: Awaited<ReturnType<ProductRepository['update']>>,
    id: number,
  ): Promise<Product> {
    switch (outcome.status) {
      case 'ok': {
        const product: Product = outcome.product
        await this.invalidateAfterWrite(product.id)
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

function notFound(id: number): AppError {
  return new AppError('not_found', `Product ${id} does not exist`)
}

function versionMismatch(currentVersion: number): AppError {
  return new AppError('precondition_failed', `The product is at version ${currentVersion}`, {
    extensions: { current_version: currentVersion },
  })
}
