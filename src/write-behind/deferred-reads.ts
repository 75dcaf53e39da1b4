import type { Product } from '../catalog/product.js'
import type { ProductRepository } from '../db/product-repository.js'
import type { PendingWrites } from './pending-writes.js'

/**
 * How reads see deferred writes: a product's pending state (staged in Redis, not yet persisted)
 * comes before its database row, so a write is read back from its 202 on, by single reads,
 * batches and list pages alike. With Redis unreachable no write can be staged either, so the
 * rows are the best answer there is.
 */
export class DeferredReads {
  readonly #pending: PendingWrites
  readonly #repository: ProductRepository
  readonly #onError: (error: unknown, what: string) => void

  constructor(
    pending: PendingWrites,
    repository: ProductRepository,
    onError: (error: unknown, what: string) => void,
  ) {
    this.#pending = pending
    this.#repository = repository
    this.#onError = onError
  }

  /** The product as reads must see it: its pending state, else the database row. */
  async load(id: number): Promise<Product | undefined> {
    let pending: Product | undefined
    try {
      pending = await this.#pending.stateOf(id)
    } catch (error) {
      this.#onError(error, 'read a pending write')
    }
    return pending ?? this.#repository.findById(id)
  }

  /**
   * `load` for several ids: their pending states (one HGET each, all in flight at once), then
   * one query for the others. Answers the products that exist, by id.
   */
  async loadMany(ids: readonly number[]): Promise<Map<number, Product>> {
    let pending: (Product | undefined)[] = []
    try {
      pending = await Promise.all(ids.map((id) => this.#pending.stateOf(id)))
    } catch (error) {
      this.#onError(error, 'read the pending writes of a batch')
    }
    const found = new Map<number, Product>()
    ids.forEach((id, index) => {
      const state = pending[index]
      if (state) found.set(id, state)
    })
    const rest = ids.filter((id) => !found.has(id))
    if (rest.length > 0) {
      for (const row of await this.#repository.findByIds(rest)) found.set(row.id, row)
    }
    return found
  }

  /**
   * Rows as reads must see them: each replaced by its pending state when it has one (one HGET
   * per row, all in flight at once), so a list page shows a deferred write as a product read does.
   */
  async overlay(rows: readonly Product[]): Promise<Product[]> {
    try {
      const pending = await Promise.all(rows.map((row) => this.#pending.stateOf(row.id)))
      return rows.map((row, index) => pending[index] ?? row)
    } catch (error) {
      this.#onError(error, 'read the pending writes of a list page')
      return [...rows]
    }
  }
}
