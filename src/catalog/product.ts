import { type Static, Type } from 'typebox'
import { Compile } from 'typebox/compile'

/** The lengths of the free-text fields, shared with the request schemas (which add formats). */
export const TEXT_LENGTHS = {
  name: { minLength: 1, maxLength: 200 },
  description: { maxLength: 5000 },
  category: { minLength: 1, maxLength: 64 },
} as const

/** The fields a client writes. `additionalProperties: false`: an unknown field is a 400, not ignored. */
export const ProductFieldsSchema = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
    name: Type.String(TEXT_LENGTHS.name),
    description: Type.String(TEXT_LENGTHS.description),
    price_cents: Type.Integer({ minimum: 0, maximum: 2_000_000_000 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. USD' }),
    category: Type.String(TEXT_LENGTHS.category),
    stock: Type.Integer({ minimum: 0, maximum: 2_000_000_000 }),
  },
  { additionalProperties: false },
)
export type ProductFields = Static<typeof ProductFieldsSchema>

/** A product as served and as cached: its row plus the aggregate over its reviews. */
export const ProductSchema = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  ...ProductFieldsSchema.properties,
  version: Type.Integer({ minimum: 1, description: 'Bumped by every write; the ETag' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  review_count: Type.Integer({ minimum: 0 }),
  average_rating: Type.Union([Type.Number({ minimum: 1, maximum: 5 }), Type.Null()]),
})
export type Product = Static<typeof ProductSchema>

/** One page of the catalog, by id; also what the list cache stores. */
export const ProductPageSchema = Type.Object({
  items: Type.Array(ProductSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as ?cursor= for the next page; null on the last page',
  }),
})
export type ProductPage = Static<typeof ProductPageSchema>

const productCheck = Compile(ProductSchema)

/** Checks a product in full, formats included: a pending write about to be persisted. */
export function isProduct(value: unknown): value is Product {
  return productCheck.Check(value)
}

/**
 * What a read from Redis checks: the product's shape, every constraint but the date-time
 * formats. The dates were checked when the row was written; checking both formats again made
 * up a fifth of an L2 hit. An entry of another shape (an old deploy's, a hand-written `SET`)
 * is still a miss.
 */
const CachedProductSchema = Type.Object({
  ...ProductSchema.properties,
  created_at: Type.String(),
  updated_at: Type.String(),
})
const cachedProductCheck = Compile(CachedProductSchema)
const cachedPageCheck = Compile(
  Type.Object({ ...ProductPageSchema.properties, items: Type.Array(CachedProductSchema) }),
)

export function isCachedProduct(value: unknown): value is Product {
  return cachedProductCheck.Check(value)
}

export function isCachedProductPage(value: unknown): value is ProductPage {
  return cachedPageCheck.Check(value)
}

/** Products are tagged by category, so one call can invalidate a whole category. */
export const categoryTag = (category: string) => `category:${category}`

/** Every cached list page carries this tag: any product write invalidates them all at once. */
export const LIST_PAGES_TAG = 'products'
