import { type Kysely, sql } from 'kysely'

/**
 * Runs `work` on one connection inside `BEGIN IMMEDIATE`. A plain (deferred) SQLite transaction
 * takes the write lock only at its first write; if another process committed in between, that
 * upgrade fails with SQLITE_BUSY at once. Taking the lock up front makes a second process wait
 * (busy_timeout) and then see the first one's work. Commits if `work` resolves, else rolls back.
 */
export async function withSqliteImmediateTransaction<DB, T>(
  db: Kysely<DB>,
  work: (connection: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection)
    try {
      const result = await work(connection)
      await sql`commit`.execute(connection)
      return result
    } catch (error) {
      await sql`rollback`.execute(connection)
      throw error
    }
  })
}
