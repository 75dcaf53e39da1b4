import { type Kysely, sql } from 'kysely'
import type { Database } from './client.js'
import type { CatalogDatabase } from './schema.js'
import { type SeedReview, seedProduct } from './seed-data.js'
import { withSqliteImmediateTransaction } from './sqlite-immediate-transaction.js'

export interface SeedOptions {
  /** How many demo products to insert (ids 1..products). */
  products: number
  /** Called after each batch with products written so far. */
  onProgress?: (done: number, total: number) => void
}

export interface SeedResult {
  /** False when the catalog already had products (or none were asked for): nothing was written. */
  seeded: boolean
  /** Rows this call inserted. */
  products: number
  reviews: number
  ms: number
}

/** Bind-parameter ceiling per statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER, pg's Int16 count. */
const MAX_PARAMETERS = { sqlite: 32_766, postgres: 65_535 } as const
const PRODUCT_COLUMNS = 10
const REVIEW_COLUMNS = 4
/** Products generated and written per round; bounds memory and paces onProgress. */
const PRODUCTS_PER_ROUND = 1_000

/**
 * Fills an empty catalog with deterministic demo data, in one transaction that also keeps a
 * concurrent seeder (server and worker starting together) waiting until it can see the rows.
 */
export async function seedIfEmpty(database: Database, options: SeedOptions): Promise<SeedResult> {
  if (!Number.isInteger(options.products) || options.products < 0) {
    throw new RangeError(`products must be a whole number >= 0: ${options.products}`)
  }
  const started = performance.now()
  const maxParameters = MAX_PARAMETERS[database.dialect]
  const counts = await withSeedLock(database, async (db) => {
    const existing = await db.selectFrom('products').select('id').limit(1).executeTakeFirst()
    if (existing !== undefined || options.products === 0) return undefined
    const written = await insertCatalog(db, options, maxParameters)
    // Explicit ids leave the PostgreSQL sequence behind; SQLite's AUTOINCREMENT follows by itself.
    if (database.dialect === 'postgres') {
      await sql`select setval(pg_get_serial_sequence('products', 'id'), ${written.products})`.execute(
        db,
      )
    }
    return written
  })
  return {
    seeded: counts !== undefined,
    products: counts?.products ?? 0,
    reviews: counts?.reviews ?? 0,
    ms: Math.round(performance.now() - started),
  }
}

async function insertCatalog(
  db: Kysely<CatalogDatabase>,
  { products: total, onProgress }: SeedOptions,
  maxParameters: number,
): Promise<{ products: number; reviews: number }> {
  const reviewsPerStatement = Math.floor(maxParameters / REVIEW_COLUMNS)
  const productsPerStatement = Math.min(
    PRODUCTS_PER_ROUND,
    Math.floor(maxParameters / PRODUCT_COLUMNS),
  )
  let reviewCount = 0
  // Ids are explicit so that product i is the i-th seeded one, even if the sequence has moved.
  for (let first = 1; first <= total; first += productsPerStatement) {
    const last = Math.min(total, first + productsPerStatement - 1)
    const generated = range(first, last).map(seedProduct)
    await db
      .insertInto('products')
      .values(generated.map((it) => it.product))
      .execute()
    const reviews: SeedReview[] = generated.flatMap((it) => it.reviews)
    for (let start = 0; start < reviews.length; start += reviewsPerStatement) {
      await db
        .insertInto('reviews')
        .values(reviews.slice(start, start + reviewsPerStatement))
        .execute()
    }
    reviewCount += reviews.length
    onProgress?.(last, total)
  }
  return { products: total, reviews: reviewCount }
}

/** Serialises seeders: SQLite by taking the write lock up front, PostgreSQL by a table lock. */
async function withSeedLock<T>(
  database: Database,
  work: (db: Kysely<CatalogDatabase>) => Promise<T>,
): Promise<T> {
  if (database.dialect === 'sqlite') return withSqliteImmediateTransaction(database.db, work)
  return database.db.transaction().execute(async (trx) => {
    // Conflicts with itself and with writers, not with readers.
    await sql`lock table products in share row exclusive mode`.execute(trx)
    return work(trx)
  })
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i)
}
