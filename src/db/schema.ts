import type { ColumnType, Generated, Selectable } from 'kysely'

/** Timestamps are ISO-8601 strings in the API; PostgreSQL hands back Date, SQLite a string. */
type Timestamp = ColumnType<Date | string, string, string>

export interface ProductsTable {
  id: Generated<number>
  sku: string
  name: string
  description: string
  price_cents: number
  currency: string
  category: string
  stock: number
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ReviewsTable {
  id: Generated<number>
  product_id: number
  rating: number
  body: string
  created_at: Timestamp
}

export interface CatalogDatabase {
  products: ProductsTable
  reviews: ReviewsTable
}

/** The fields a client may write; id, version and timestamps belong to the database. */
export interface ProductFields {
  sku: string
  name: string
  description: string
  price_cents: number
  currency: string
  category: string
  stock: number
}

/** A product as read: its row plus an aggregate over its reviews. */
export interface ProductRecord extends ProductFields {
  id: number
  version: number
  created_at: string
  updated_at: string
  review_count: number
  /** Mean rating rounded to 2 decimals; null when there are no reviews. */
  average_rating: number | null
}

export type ProductRow = Selectable<ProductsTable>
