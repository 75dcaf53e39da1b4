import type { KyselyPlugin } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/client.js'
import { createProductRepository, type ProductRepository } from '../../src/db/product-repository.js'
import type { ProductFields } from '../../src/db/schema.js'
import { testDialects } from '../support/databases.js'
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js'

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

function fields(overrides: Partial<ProductFields> = {}): ProductFields {
  return {
    sku: 'SKU-T-1',
    name: 'Walnut Desk Lamp',
    description: 'Warm light.',
    price_cents: 4999,
    currency: 'EUR',
    category: 'office',
    stock: 12,
    ...overrides,
  }
}

/** Calls `onResult` each time a query has returned its rows to Kysely. */
function observeResults(onResult: () => void): KyselyPlugin {
  return {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      onResult()
      return args.result
    },
  }
}

describe.each(testDialects)('product repository on $name', (dialect) => {
  let fresh: MigratedDatabase
  let database: Database
  let repository: ProductRepository

  beforeEach(async () => {
    fresh = await openMigratedDatabase(dialect)
    database = fresh.database
    repository = createProductRepository(database)
  })
  afterEach(async () => {
    await fresh.dispose()
  })

  async function createProduct(overrides: Partial<ProductFields> = {}) {
    const outcome = await repository.create(fields(overrides))
    if (outcome.status !== 'ok') throw new Error(`create failed: ${outcome.status}`)
    return outcome.product
  }

  async function addReviews(productId: number, ratings: number[]) {
    await database.db
      .insertInto('reviews')
      .values(
        ratings.map((rating) => ({
          product_id: productId,
          rating,
          body: 'fine',
          created_at: new Date().toISOString(),
        })),
      )
      .execute()
  }

  describe('skuOwner', () => {
    it('names the product that has a SKU, and none for a SKU nobody has', async () => {
      const created = await repository.create(fields({ sku: 'SKU-OWNED' }))
      if (created.status !== 'ok') throw new Error(`create: ${created.status}`)
      expect(await repository.skuOwner('SKU-OWNED')).toBe(created.product.id)
      expect(await repository.skuOwner('SKU-NOBODY')).toBeUndefined()
    })
  })

  describe('findById', () => {
    it('returns the row with its review count and average rounded to 2 decimals', async () => {
      const created = await createProduct()
      await addReviews(created.id, [5, 5, 5, 4, 4, 4, 3, 3]) // 33 / 8 = 4.125
      const other = await createProduct({ sku: 'SKU-T-2' })
      await addReviews(other.id, [5, 4, 4]) // 4.333…

      expect(await repository.findById(created.id)).toEqual({
        ...created,
        review_count: 8,
        average_rating: 4.13,
      })
      expect(await repository.findById(other.id)).toMatchObject({
        review_count: 3,
        average_rating: 4.33,
      })
    })

    it('returns zero reviews and a null average for a product without reviews', async () => {
      const created = await createProduct()
      const found = await repository.findById(created.id)
      expect(found).toMatchObject({ review_count: 0, average_rating: null, version: 1 })
      expect(found?.created_at).toMatch(ISO_8601)
      expect(found?.updated_at).toMatch(ISO_8601)
    })

    it('returns undefined for a missing id, including ids no product can have', async () => {
      const created = await createProduct()
      for (const id of [created.id + 1, 0, -1, 1.5, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
        expect(await repository.findById(id)).toBeUndefined()
      }
    })

    it('waits extraLatencyMs after reading, so it returns the snapshot from before a later write', async () => {
      const extraLatencyMs = 250
      const created = await createProduct({ stock: 12 })
      let queryReturned: () => void = () => {}
      const returned = new Promise<void>((resolve) => {
        queryReturned = resolve
      })
      const observed: Database = {
        ...database,
        db: database.db.withPlugin(observeResults(() => queryReturned())),
      }
      const slow = createProductRepository(observed, { extraLatencyMs })

      const started = performance.now()
      let readSettled = false
      const read = slow.findById(created.id).finally(() => {
        readSettled = true
      })
      await returned // the SELECT has its row
      const write = await repository.update(created.id, { stock: 99 })
      expect(write).toMatchObject({ status: 'ok', product: { version: 2, stock: 99 } })
      // The write committed while the read was still on its way back.
      expect(readSettled).toBe(false)

      const snapshot = await read
      // Timers tick in whole milliseconds and may fire up to 1 ms early against performance.now().
      expect(performance.now() - started).toBeGreaterThanOrEqual(extraLatencyMs - 1)
      expect(snapshot).toMatchObject({ version: 1, stock: 12 })
      expect(await repository.findById(created.id)).toMatchObject({ version: 2, stock: 99 })
    })
  })

  describe('list', () => {
    it('pages through every product exactly once, in id order, with aggregates', async () => {
      const ids: number[] = []
      for (let n = 1; n <= 23; n++) ids.push((await createProduct({ sku: `SKU-L-${n}` })).id)
      await addReviews(ids[4] ?? 0, [1, 2])

      const seen: number[] = []
      let afterId: number | undefined
      let pages = 0
      do {
        const page = await repository.list({ afterId, limit: 5 })
        expect(page.items.length).toBeLessThanOrEqual(5)
        seen.push(...page.items.map((it) => it.id))
        for (const item of page.items) expect(item).toEqual(await repository.findById(item.id))
        afterId = page.nextAfterId
        pages++
      } while (afterId !== undefined)

      expect(seen).toEqual(ids)
      expect(pages).toBe(5)
    })

    it('ends without a next page when the last page is exactly full', async () => {
      for (let n = 1; n <= 4; n++) await createProduct({ sku: `SKU-L-${n}` })
      const first = await repository.list({ limit: 2 })
      expect(first.nextAfterId).toBe(first.items[1]?.id)
      const second = await repository.list({ afterId: first.nextAfterId, limit: 2 })
      expect(second.items).toHaveLength(2)
      expect(second.nextAfterId).toBeUndefined()
      expect(await repository.list({ afterId: 2 ** 31, limit: 2 })).toEqual({
        items: [],
        nextAfterId: undefined,
      })
    })

    it('reads a page in one query, not one per product', async () => {
      for (let n = 1; n <= 6; n++) await createProduct({ sku: `SKU-L-${n}` })
      let queries = 0
      const counted: Database = {
        ...database,
        db: database.db.withPlugin(observeResults(() => queries++)),
      }
      const page = await createProductRepository(counted).list({ limit: 5 })
      expect(page.items).toHaveLength(5)
      expect(queries).toBe(1)
    })
  })

  describe('create', () => {
    it('inserts at version 1 with equal ISO-8601 timestamps', async () => {
      const outcome = await repository.create(fields())
      expect(outcome).toMatchObject({
        status: 'ok',
        product: { ...fields(), version: 1, review_count: 0, average_rating: null },
      })
      if (outcome.status !== 'ok') return
      expect(outcome.product.created_at).toMatch(ISO_8601)
      expect(outcome.product.updated_at).toBe(outcome.product.created_at)
      expect(await repository.findById(outcome.product.id)).toEqual(outcome.product)
    })

    it('reports a taken sku as duplicate_sku instead of throwing', async () => {
      await createProduct({ sku: 'SKU-DUP' })
      expect(await repository.create(fields({ sku: 'SKU-DUP', name: 'Other' }))).toEqual({
        status: 'duplicate_sku',
      })
    })
  })

  describe('update', () => {
    it('sets the given fields only, bumps the version and updated_at, and returns the fresh record', async () => {
      const created = await createProduct()
      await addReviews(created.id, [4, 5])
      const outcome = await repository.update(created.id, { price_cents: 1999, stock: 0 })
      expect(outcome).toEqual({
        status: 'ok',
        product: {
          ...created,
          price_cents: 1999,
          stock: 0,
          version: 2,
          updated_at: expect.stringMatching(ISO_8601),
          review_count: 2,
          average_rating: 4.5,
        },
      })
      if (outcome.status !== 'ok') return
      expect(outcome.product.updated_at >= created.updated_at).toBe(true)
      expect(await repository.findById(created.id)).toEqual(outcome.product)
    })

    it('bumps the version for an empty change, and ignores keys that are not product fields', async () => {
      const created = await createProduct()
      expect(await repository.update(created.id, {})).toMatchObject({ product: { version: 2 } })
      const sneaky = { stock: 5, id: created.id + 100, version: 42 } as Partial<ProductFields>
      expect(await repository.update(created.id, sneaky)).toMatchObject({
        product: { id: created.id, version: 3, stock: 5 },
      })
    })

    it('applies only at the expected version, else reports the current one', async () => {
      const created = await createProduct()
      expect(await repository.update(created.id, { stock: 1 }, 1)).toMatchObject({
        status: 'ok',
        product: { version: 2 },
      })
      expect(await repository.update(created.id, { stock: 2 }, 1)).toEqual({
        status: 'version_mismatch',
        currentVersion: 2,
      })
      expect(await repository.findById(created.id)).toMatchObject({ stock: 1, version: 2 })
    })

    it('reports not_found for a missing product, with or without an expected version', async () => {
      const created = await createProduct()
      for (const id of [created.id + 1, 2 ** 31]) {
        expect(await repository.update(id, { stock: 1 })).toEqual({ status: 'not_found' })
        expect(await repository.update(id, { stock: 1 }, 1)).toEqual({ status: 'not_found' })
      }
    })

    it('reports duplicate_sku and leaves the row unchanged', async () => {
      await createProduct({ sku: 'SKU-A' })
      const b = await createProduct({ sku: 'SKU-B' })
      expect(await repository.update(b.id, { sku: 'SKU-A' })).toEqual({ status: 'duplicate_sku' })
      expect(await repository.findById(b.id)).toEqual(b)
    })
  })

  describe('delete', () => {
    it('deletes at the expected version, with its reviews, then reports not_found', async () => {
      const created = await createProduct()
      await addReviews(created.id, [3])
      await repository.update(created.id, { stock: 1 })

      expect(await repository.delete(created.id, 1)).toEqual({
        status: 'version_mismatch',
        currentVersion: 2,
      })
      expect(await repository.delete(created.id, 2)).toEqual({ status: 'ok' })
      expect(await repository.findById(created.id)).toBeUndefined()
      const reviews = await database.db
        .selectFrom('reviews')
        .select('id')
        .where('product_id', '=', created.id)
        .execute()
      expect(reviews).toEqual([])
      expect(await repository.delete(created.id)).toEqual({ status: 'not_found' })
      expect(await repository.delete(created.id, 2)).toEqual({ status: 'not_found' })
    })

    it('deletes without an expected version', async () => {
      const created = await createProduct()
      expect(await repository.delete(created.id)).toEqual({ status: 'ok' })
      expect(await repository.delete(0)).toEqual({ status: 'not_found' })
    })
  })
})
