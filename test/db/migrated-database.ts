import { type Database, openDatabase } from '../../src/db/client.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { TestDatabase, TestDialect } from '../support/databases.js'

export interface MigratedDatabase {
  database: Database
  url: string
  /** Closes the handle, then removes the test database. */
  dispose(): Promise<void>
}

/** A fresh, isolated, migrated catalog database for one test. */
export async function openMigratedDatabase(dialect: TestDialect): Promise<MigratedDatabase> {
  const testDatabase: TestDatabase = await dialect.create()
  const database = await openDatabase(testDatabase.url)
  try {
    await migrateToLatest(database.db, database.dialect)
  } catch (error) {
    await database.close()
    await testDatabase.cleanup()
    throw error
  }
  return {
    database,
    url: testDatabase.url,
    async dispose() {
      await database.close()
      await testDatabase.cleanup()
    },
  }
}
