import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createProductRepository, type ProductRepository } from '../../src/db/product-repository.js'
import type { ProductFields } from '../../src/db/schema.js'
import { testDialects } from '../support/databases.js'
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js'

const LAMP: ProductFields = {
  sku: 'SKU-A-1',
  name: 'Walnut Desk Lamp',
  description: 'Warm light.',
  price_cents: 4999,
  currency: 'EUR',
  category: 'office',
  stock: 12,
}

describe.each(testDialects)('repository applyIfNewer on $name', (dialect) => {
  let fresh: MigratedDatabase
  let repository: ProductRepository

  beforeEach(async () => {
    fresh = await openMigratedDatabase(dialect)
    repository = createProductRepository(fresh.database)
  })
  afterEach(async () => {
    await fresh.dispose()
  })

  async function createProduct(fields: ProductFields = LAMP) {
    const outcome = await repository.create(fields)
    if (outcome.status !== 'ok') throw new Error(`create failed: ${outcome.status}`)
    return outcome.product
  }

  it('writes every field, the given version and updated_at when the row is older', async () => {
    const created = await createProduct()
    const updatedAt = '2030-01-02T03:04:05.678Z'
    const outcome = await repository.applyIfNewer(
      created.id,
      { ...LAMP, name: 'Oak Lamp', stock: 3 },
      5,
      updatedAt,
    )
    expect(outcome).toEqual({ status: 'applied' })
    expect(await repository.findById(created.id)).toEqual({
      ...created,
      name: 'Oak Lamp',
      stock: 3,
      version: 5,
      updated_at: updatedAt,
    })
  })

  it('never moves a row back: an equal or older version changes nothing', async () => {
    const created = await createProduct()
    await repository.applyIfNewer(created.id, { ...LAMP, stock: 7 }, 4, new Date().toISOString())
    const before = await repository.findById(created.id)

    for (const version of [4, 3, 2]) {
      const outcome = await repository.applyIfNewer(
        created.id,
        { ...LAMP, stock: 100 + version },
        version,
        new Date().toISOString(),
      )
      expect(outcome).toEqual({ status: 'already_newer', currentVersion: 4 })
    }
    expect(await repository.findById(created.id)).toEqual(before)
  })

  it('reports not_found for a missing product or an id no product can have', async () => {
    const created = await createProduct()
    for (const id of [created.id + 1, 0, 2 ** 31]) {
      expect(await repository.applyIfNewer(id, LAMP, 2, new Date().toISOString())).toEqual({
        status: 'not_found',
      })
    }
  })

  it("reports duplicate_sku for another product's sku and leaves the row as it was", async () => {
    const created = await createProduct()
    const other = await createProduct({ ...LAMP, sku: 'SKU-A-2' })
    const outcome = await repository.applyIfNewer(
      created.id,
      { ...LAMP, sku: other.sku },
      2,
      new Date().toISOString(),
    )
    expect(outcome).toEqual({ status: 'duplicate_sku' })
    expect(await repository.findById(created.id)).toEqual(created)
  })

  it('reports a value the database refuses as a constraint_violation with its message', async () => {
    const created = await createProduct()
    const outcome = await repository.applyIfNewer(
      created.id,
      { ...LAMP, price_cents: -1 },
      2,
      new Date().toISOString(),
    )
    expect(outcome).toMatchObject({ status: 'constraint_violation' })
    expect(outcome.status === 'constraint_violation' && outcome.reason).toMatch(
      /price_cents|check/i,
    )
    expect(await repository.findById(created.id)).toEqual(created)
  })
})
