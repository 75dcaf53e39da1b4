import type { ExpressionBuilder } from 'kysely'
import type { CatalogDatabase, ProductFields, ProductRecord, ProductRow } from './schema.js'

/** Ids are int4 on PostgreSQL; a larger or fractional id cannot exist, on either dialect. */
export const MAX_PRODUCT_ID = 2_147_483_647

export function isStorableId(id: number): boolean {
  return Number.isInteger(id) && id >= 1 && id <= MAX_PRODUCT_ID
}

const WRITABLE_FIELDS = [
  'sku',
  'name',
  'description',
  'price_cents',
  'currency',
  'category',
  'stock',
] as const satisfies readonly (keyof ProductFields)[]

/**
 * Copies only the client-writable columns that are set, so a stray `id` or `version` on the
 * object (e.g. an unvalidated body) never reaches the SQL.
 */
export function writableFields<T extends Partial<ProductFields>>(fields: T): T {
  const picked: Partial<Record<keyof ProductFields, unknown>> = {}
  for (const name of WRITABLE_FIELDS) {
    if (fields[name] !== undefined) picked[name] = fields[name]
  }
  // Same keys as T minus anything unknown, which T does not describe anyway.
  return picked as T
}

/**
 * Review count and rounded mean rating of the `products` row in scope, as correlated scalar
 * subqueries: they read only that product's reviews through the product_id index, work in
 * SELECT and in RETURNING on both dialects, and cost nothing for rows a LIMIT cuts off.
 */
export function reviewAggregates(eb: ExpressionBuilder<CatalogDatabase, 'products'>) {
  const reviewsOfProduct = eb
    .selectFrom('reviews')
    .whereRef('reviews.product_id', '=', 'products.id')
  return [
    reviewsOfProduct.select((r) => r.fn.countAll<number>().as('n')).as('review_count'),
    reviewsOfProduct
      .select((r) => r.fn<number | null>('round', [r.fn.avg('rating'), r.lit(2)]).as('a'))
      .as('average_rating'),
  ] as const
}

export type RecordRow = ProductRow & {
  review_count: number | null
  average_rating: number | null
}

export function toRecord(row: RecordRow): ProductRecord {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    price_cents: row.price_cents,
    currency: row.currency,
    category: row.category,
    stock: row.stock,
    version: row.version,
    created_at: toIsoString(row.created_at),
    updated_at: toIsoString(row.updated_at),
    review_count: row.review_count ?? 0,
    average_rating: row.average_rating,
  }
}

/** PostgreSQL hands back Date; SQLite already stores ISO-8601 text. */
function toIsoString(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value
}
