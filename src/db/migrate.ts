import { type Kysely, type MigrationResultSet, Migrator, sql } from 'kysely'
import type { DialectName } from './client.js'
import { catalogMigrations } from './migrations/index.js'
import type { CatalogDatabase } from './schema.js'
import { withSqliteImmediateTransaction } from './sqlite-immediate-transaction.js'

/** Brings the schema up to date; throws (never logs and carries on) when a migration fails. */
export async function migrateToLatest(
  db: Kysely<CatalogDatabase>,
  dialect: DialectName,
): Promise<void> {
  if (dialect === 'postgres') await migratePostgres(db)
  else await migrateSqlite(db)
}

/**
 * Kysely takes an advisory lock and runs everything in one transaction on PostgreSQL.
 * Its table look-up spans every schema, though, so name ours explicitly: otherwise a
 * `kysely_migration` table in another schema (parallel tests) counts as already created.
 */
async function migratePostgres(db: Kysely<CatalogDatabase>): Promise<void> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  )
  const schema = rows[0]?.schema
  if (schema == null) throw new Error('PostgreSQL has no current schema; check search_path')
  const outcome = await migrator(db, 'postgres', schema).migrateToLatest()
  if (outcome.error !== undefined) throw migrationError(outcome)
}

/**
 * Kysely's SQLite adapter neither locks nor wraps migrations in a transaction (it assumes one
 * process). SQLite DDL is transactional, so one IMMEDIATE transaction makes a run atomic and
 * makes a second process (server and worker share the file) wait, then find nothing to do.
 */
async function migrateSqlite(db: Kysely<CatalogDatabase>): Promise<void> {
  await withSqliteImmediateTransaction(db, async (connection) => {
    const outcome = await migrator(connection, 'sqlite').migrateToLatest()
    // Throwing rolls back whatever part of the failed run was applied.
    if (outcome.error !== undefined) throw migrationError(outcome)
  })
}

function migrator(db: Kysely<CatalogDatabase>, dialect: DialectName, schema?: string): Migrator {
  const migrations = catalogMigrations(dialect)
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  })
}

function migrationError({ error, results }: MigrationResultSet): Error {
  const failed = results?.find((it) => it.status === 'Error')?.migrationName
  const which = failed === undefined ? 'migrations' : `migration ${failed}`
  const reason = error instanceof Error ? error.message : String(error)
  return new Error(`Database ${which} failed: ${reason}`, { cause: error })
}
