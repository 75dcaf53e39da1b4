import type { ProductRepository } from './product-repository.js'

/** The repository's calls, by what they do: a closed set, so it can label a metric. */
export type RepositoryOperation =
  | 'find_product'
  | 'find_products'
  | 'find_sku_owner'
  | 'list_products'
  | 'create_product'
  | 'update_product'
  | 'delete_product'
  | 'apply_write'

/**
 * The repository with every call timed, failed ones included. A method added to
 * ProductRepository does not compile here until it is given an operation, so none goes untimed.
 */
export function timedRepository(
  repository: ProductRepository,
  observe: (operation: RepositoryOperation, ms: number) => void,
): ProductRepository {
  async function timed<R>(operation: RepositoryOperation, call: () => Promise<R>): Promise<R> {
    const started = performance.now()
    try {
      return await call()
    } finally {
      observe(operation, performance.now() - started)
    }
  }
  return {
    findById: (id) => timed('find_product', () => repository.findById(id)),
    findByIds: (ids) => timed('find_products', () => repository.findByIds(ids)),
    skuOwner: (sku) => timed('find_sku_owner', () => repository.skuOwner(sku)),
    list: (options) => timed('list_products', () => repository.list(options)),
    create: (fields) => timed('create_product', () => repository.create(fields)),
    update: (id, fields, expectedVersion) =>
      timed('update_product', () => repository.update(id, fields, expectedVersion)),
    delete: (id, expectedVersion) =>
      timed('delete_product', () => repository.delete(id, expectedVersion)),
    applyIfNewer: (id, fields, version, updatedAt) =>
      timed('apply_write', () => repository.applyIfNewer(id, fields, version, updatedAt)),
  }
}
