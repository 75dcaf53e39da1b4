import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { Pool, TypeOverrides, types } from 'pg'
import { parseDatabaseUrl } from './database-url.js'
import type { CatalogDatabase } from './schema.js'

export type DialectName = 'sqlite' | 'postgres'

export interface Database {
  db: Kysely<CatalogDatabase>
  dialect: DialectName
  /** Runs `select 1`; rejects when the database cannot answer. */
  ping(): Promise<void>
  /** Closes the pool or file handle; the Database is unusable afterwards. */
  close(): Promise<void>
}

export interface OpenDatabaseOptions {
  /**
   * Called when an idle pooled PostgreSQL connection fails (e.g. the server restarts).
   * The pool drops that connection by itself; without a listener the error would crash the process.
   * @default ignore
   */
  onIdleConnectionError?: (error: Error) => void
}

/** Opens the catalog database named by DATABASE_URL (see `parseDatabaseUrl` for the forms). */
export async function openDatabase(
  url: string | undefined,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  const target = parseDatabaseUrl(url)
  const db =
    target.dialect === 'sqlite'
      ? new Kysely<CatalogDatabase>({ dialect: sqliteDialect(target.filename) })
      : new Kysely<CatalogDatabase>({
          dialect: postgresDialect(target.connectionString, options.onIdleConnectionError),
        })
  return {
    db,
    dialect: target.dialect,
    async ping() {
      await sql`select 1`.execute(db)
    },
    async close() {
      await db.destroy()
    },
  }
}

function sqliteDialect(filename: string): SqliteDialect {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
  const sqlite = new SQLite(filename)
  // Server and worker processes share the file: WAL lets readers run beside the writer,
  // and busy_timeout makes a writer wait for the lock instead of failing at once.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('synchronous = NORMAL')
  return new SqliteDialect({ database: sqlite })
}

function postgresDialect(
  connectionString: string,
  onIdleConnectionError: ((error: Error) => void) | undefined,
): PostgresDialect {
  const pool = new Pool({ connectionString, max: 10, types: numericTypes() })
  pool.on('error', (error) => onIdleConnectionError?.(error))
  return new PostgresDialect({ pool })
}

/**
 * pg returns int8 (count) and numeric (avg) as strings to keep precision; the catalog's
 * counts and 2-decimal averages fit a JS number. Set per pool, not on the global `types`,
 * so other pg users in the process keep the defaults.
 */
function numericTypes(): TypeOverrides {
  const overrides = new TypeOverrides()
  overrides.setTypeParser(types.builtins.INT8, (value) => Number.parseInt(value, 10))
  overrides.setTypeParser(types.builtins.NUMERIC, (value) => Number.parseFloat(value))
  return overrides
}
