import { type Kysely, type Migration, sql } from 'kysely'
import type { DialectName } from '../client.js'
import { dialectColumns } from './column-types.js'

export function createProducts(dialect: DialectName): Migration {
  const columns = dialectColumns(dialect)
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('products')
        .addColumn('id', columns.id, (col) =>
          columns.autoIncrement ? col.primaryKey().autoIncrement() : col.primaryKey(),
        )
        .addColumn('sku', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
        .addColumn('price_cents', 'integer', (col) => col.notNull().check(sql`price_cents >= 0`))
        .addColumn('currency', 'text', (col) => col.notNull().check(sql`length(currency) = 3`))
        .addColumn('category', 'text', (col) => col.notNull())
        .addColumn('stock', 'integer', (col) => col.notNull().check(sql`stock >= 0`))
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
        .addColumn('created_at', columns.timestamp, (col) => col.notNull().defaultTo(columns.now))
        .addColumn('updated_at', columns.timestamp, (col) => col.notNull().defaultTo(columns.now))
        .execute()
      await db.schema
        .createIndex('products_category_idx')
        .on('products')
        .column('category')
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('products').execute()
    },
  }
}
