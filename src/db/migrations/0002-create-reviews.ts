import { type Kysely, type Migration, sql } from 'kysely'
import type { DialectName } from '../client.js'
import { dialectColumns } from './column-types.js'

export function createReviews(dialect: DialectName): Migration {
  const columns = dialectColumns(dialect)
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('reviews')
        .addColumn('id', columns.id, (col) =>
          columns.autoIncrement ? col.primaryKey().autoIncrement() : col.primaryKey(),
        )
        .addColumn('product_id', 'integer', (col) =>
          col.notNull().references('products.id').onDelete('cascade'),
        )
        .addColumn('rating', 'integer', (col) => col.notNull().check(sql`rating between 1 and 5`))
        .addColumn('body', 'text', (col) => col.notNull())
        .addColumn('created_at', columns.timestamp, (col) => col.notNull().defaultTo(columns.now))
        .execute()
      // Serves the cascade delete and the per-product review aggregates.
      await db.schema
        .createIndex('reviews_product_id_idx')
        .on('reviews')
        .column('product_id')
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('reviews').execute()
    },
  }
}
