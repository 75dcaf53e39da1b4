import type { Migration } from 'kysely'
import type { DialectName } from '../client.js'
import { createProducts } from './0001-create-products.js'
import { createReviews } from './0002-create-reviews.js'

/**
 * Every migration, listed by hand rather than found on disk, so the same code runs from src/
 * (tsx, vitest) and from dist/. Names sort in the order they run; never rename or reorder one
 * that has shipped.
 */
export function catalogMigrations(dialect: DialectName): Record<string, Migration> {
  return {
    '0001-create-products': createProducts(dialect),
    '0002-create-reviews': createReviews(dialect),
  }
}
