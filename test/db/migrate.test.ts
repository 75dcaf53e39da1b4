import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type Database, openDatabase } from '../../src/db/client.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { type TestDatabase, testDialects } from '../support/databases.js'

const now = new Date().toISOString()
const product = {
  sku: 'SKU-1',
  name: 'Kettle',
  description: '',
  price_cents: 100,
  currency: 'USD',
  category: 'kitchen',
  stock: 1,
  created_at: now,
  updated_at: now,
}

describe.each(testDialects)('migrations on $name', (dialect) => {
  const created: TestDatabase[] = []
  const handles: Database[] = []
  /** Opens `url`, or a fresh test database when none is given. */
  async function open(url?: string): Promise<Database> {
    if (url === undefined) {
      const testDatabase = await dialect.create()
      created.push(testDatabase)
      url = testDatabase.url
    }
    const database = await openDatabase(url)
    handles.push(database)
    return database
  }
  afterEach(async () => {
    for (const database of handles.splice(0)) await database.close()
    for (const testDatabase of created.splice(0)) await testDatabase.cleanup()
  })

  it('creates the schema on an empty database, and a second run changes nothing', async () => {
    const database = await open()
    await migrateToLatest(database.db, database.dialect)
    await migrateToLatest(database.db, database.dialect)
    const { rows } = await sql<{
      name: string
    }>`select name from kysely_migration order by name`.execute(database.db)
    expect(rows.map((it) => it.name)).toEqual(['0001-create-products', '0002-create-reviews'])

    const { id } = await database.db
      .insertInto('products')
      .values(product)
      .returning('id')
      .executeTakeFirstOrThrow()
    const inserted = await database.db.selectFrom('products').selectAll().executeTakeFirstOrThrow()
    expect(inserted.version).toBe(1)
    await database.db
      .insertInto('reviews')
      .values({ product_id: id, rating: 5, body: 'ok', created_at: now })
      .execute()
  })

  it('enforces the checks, the unique sku and the foreign key with cascade', async () => {
    const database = await open()
    await migrateToLatest(database.db, database.dialect)
    const insert = (fields: Partial<typeof product>) =>
      database.db
        .insertInto('products')
        .values({ ...product, ...fields })
        .execute()
    await expect(insert({ sku: 'neg-price', price_cents: -1 })).rejects.toThrow()
    await expect(insert({ sku: 'neg-stock', stock: -1 })).rejects.toThrow()
    await expect(insert({ sku: 'bad-currency', currency: 'US' })).rejects.toThrow()
    const { id } = await database.db
      .insertInto('products')
      .values(product)
      .returning('id')
      .executeTakeFirstOrThrow()
    await expect(insert({})).rejects.toThrow()

    const review = (product_id: number, rating: number) =>
      database.db
        .insertInto('reviews')
        .values({ product_id, rating, body: '', created_at: now })
        .execute()
    await expect(review(id, 0)).rejects.toThrow()
    await expect(review(id, 6)).rejects.toThrow()
    await expect(review(id + 1000, 3)).rejects.toThrow()
    await review(id, 3)
    await database.db.deleteFrom('products').execute()
    const left = await database.db.selectFrom('reviews').select('id').execute()
    expect(left).toEqual([])
  })

  it('throws, naming the migration, when one fails', async () => {
    const database = await open()
    // A table in the way makes 0001 fail.
    await sql`create table products (id integer primary key, sku text)`.execute(database.db)
    await expect(migrateToLatest(database.db, database.dialect)).rejects.toThrow(
      /migration 0001-create-products failed/,
    )
    // Nothing was recorded as done: with the obstacle gone, the whole schema gets created.
    await sql`drop table products`.execute(database.db)
    await migrateToLatest(database.db, database.dialect)
    await database.db.selectFrom('reviews').select('id').execute()
  })

  it.runIf(dialect.name === 'postgres')(
    'lets several processes migrate the same database at once',
    async () => {
      const first = await open()
      const url = created[0]?.url
      const all = [first, await open(url), await open(url)]
      await Promise.all(all.map((it) => migrateToLatest(it.db, it.dialect)))
      const { rows } = await sql`select name from kysely_migration`.execute(first.db)
      expect(rows).toHaveLength(2)
    },
  )

  it.runIf(dialect.name === 'postgres')(
    'migrates a schema chosen by search_path even when another schema is already migrated',
    async () => {
      const main = await open()
      await migrateToLatest(main.db, main.dialect)
      await sql`create schema tenant_b`.execute(main.db)
      const url = new URL(created[0]?.url ?? '')
      url.searchParams.set('options', '-c search_path=tenant_b')
      const tenant = await open(url.toString())
      await migrateToLatest(tenant.db, tenant.dialect)
      const { rows } = await sql<{ schema: string }>`
        select table_schema as schema from information_schema.tables
        where table_name = 'products' order by table_schema
      `.execute(main.db)
      expect(rows.map((it) => it.schema)).toEqual(['public', 'tenant_b'])
    },
  )
})
