import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type Database, openDatabase } from '../../src/db/client.js'
import { createProductRepository } from '../../src/db/product-repository.js'
import { seedIfEmpty } from '../../src/db/seed.js'
import { testDialects } from '../support/databases.js'
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js'

const PRODUCTS = 50

/** Every seeded row, timestamps as ISO strings so both dialects compare alike. */
async function dump(database: Database) {
  const iso = (value: Date | string) => (value instanceof Date ? value.toISOString() : value)
  const products = await database.db.selectFrom('products').selectAll().orderBy('id').execute()
  const reviews = await database.db
    .selectFrom('reviews')
    .select(['product_id', 'rating', 'body', 'created_at'])
    .orderBy('id')
    .execute()
  return {
    products: products.map((it) => ({
      ...it,
      created_at: iso(it.created_at),
      updated_at: iso(it.updated_at),
    })),
    reviews: reviews.map((it) => ({ ...it, created_at: iso(it.created_at) })),
  }
}

describe.each(testDialects)('seedIfEmpty on $name', (dialect) => {
  const opened: MigratedDatabase[] = []
  async function fresh(): Promise<Database> {
    const migrated = await openMigratedDatabase(dialect)
    opened.push(migrated)
    return migrated.database
  }
  afterEach(async () => {
    for (const migrated of opened.splice(0)) await migrated.dispose()
  })

  it('fills ids 1..n with about 20 reviews each, reporting progress per batch', async () => {
    const database = await fresh()
    const progress: Array<[number, number]> = []
    const result = await seedIfEmpty(database, {
      products: PRODUCTS,
      onProgress: (done, total) => progress.push([done, total]),
    })

    const { products, reviews } = await dump(database)
    expect(result).toMatchObject({ seeded: true, products: PRODUCTS, reviews: reviews.length })
    expect(products.map((it) => it.id)).toEqual(Array.from({ length: PRODUCTS }, (_, i) => i + 1))
    expect(products[0]?.sku).toBe('SKU-000001')
    expect(new Set(products.map((it) => it.category)).size).toBeGreaterThan(5)
    for (const product of products) {
      const count = reviews.filter((it) => it.product_id === product.id).length
      expect(count).toBeGreaterThanOrEqual(15)
      expect(count).toBeLessThanOrEqual(25)
    }
    expect(reviews.length / PRODUCTS).toBeGreaterThan(18)
    expect(reviews.length / PRODUCTS).toBeLessThan(22)
    expect(progress.at(-1)).toEqual([PRODUCTS, PRODUCTS])

    const first = await createProductRepository(database).findById(1)
    expect(first?.review_count).toBeGreaterThan(0)
    expect(first?.average_rating).toBeGreaterThanOrEqual(1)
  })

  it('writes the same data every time', async () => {
    const [a, b] = [await fresh(), await fresh()]
    await seedIfEmpty(a, { products: PRODUCTS })
    await seedIfEmpty(b, { products: PRODUCTS })
    expect(await dump(b)).toEqual(await dump(a))
  })

  it('does nothing when the catalog already has products', async () => {
    const database = await fresh()
    await seedIfEmpty(database, { products: 3 })
    const again = await seedIfEmpty(database, { products: PRODUCTS })
    expect(again).toMatchObject({ seeded: false, products: 0, reviews: 0 })
    expect((await dump(database)).products).toHaveLength(3)
  })

  it('starts at id 1 even after ids were used, and new products continue after the seed', async () => {
    const database = await fresh()
    const repository = createProductRepository(database)
    const created = await repository.create({
      sku: 'TEMP',
      name: 'Temp',
      description: '',
      price_cents: 1,
      currency: 'USD',
      category: 'misc',
      stock: 1,
    })
    if (created.status !== 'ok') throw new Error(created.status)
    await repository.delete(created.product.id)

    await seedIfEmpty(database, { products: 5 })
    expect((await repository.findById(1))?.sku).toBe('SKU-000001')
    const next = await repository.create({
      sku: 'AFTER',
      name: 'After',
      description: '',
      price_cents: 1,
      currency: 'USD',
      category: 'misc',
      stock: 1,
    })
    expect(next).toMatchObject({ status: 'ok', product: { id: 6 } })
  })

  // better-sqlite3 is synchronous: two handles in one process would block each other, so the
  // SQLite side of this (separate processes) relies on BEGIN IMMEDIATE and is not run here.
  it.runIf(dialect.name === 'postgres')(
    'seeds once when several processes start together',
    async () => {
      const database = await fresh()
      const url = opened[0]?.url ?? ''
      const others = [await openDatabase(url), await openDatabase(url)]
      try {
        const results = await Promise.all(
          [database, ...others].map((it) => seedIfEmpty(it, { products: 20 })),
        )
        expect(results.filter((it) => it.seeded)).toHaveLength(1)
        const { rows } = await sql<{ n: number }>`select count(*) as n from products`.execute(
          database.db,
        )
        expect(rows[0]?.n).toBe(20)
      } finally {
        for (const other of others) await other.close()
      }
    },
  )

  it('seeds 10,000 products (time logged, not asserted)', async () => {
    const database = await fresh()
    const result = await seedIfEmpty(database, { products: 10_000 })
    console.log(
      `[${dialect.name}] seeded ${result.products} products + ${result.reviews} reviews in ${result.ms} ms`,
    )
    expect(result.products).toBe(10_000)
  })
})
