import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { DEFAULT_SQLITE_FILE, parseDatabaseUrl } from '../../src/db/database-url.js'
import { testDialects } from '../support/databases.js'

describe('parseDatabaseUrl', () => {
  it('maps the accepted forms to a dialect', () => {
    expect(parseDatabaseUrl(undefined)).toEqual({
      dialect: 'sqlite',
      filename: DEFAULT_SQLITE_FILE,
    })
    expect(parseDatabaseUrl('')).toEqual({ dialect: 'sqlite', filename: './data/catalog.db' })
    expect(parseDatabaseUrl('sqlite:/tmp/x/catalog.db')).toEqual({
      dialect: 'sqlite',
      filename: '/tmp/x/catalog.db',
    })
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', filename: ':memory:' })
    for (const url of ['postgres://u@h:5432/db', 'postgresql://u@h/db']) {
      expect(parseDatabaseUrl(url)).toEqual({ dialect: 'postgres', connectionString: url })
    }
  })

  it('rejects an unknown form naming DATABASE_URL and the accepted forms, without the password', async () => {
    const url = 'mysql://admin:s3cret@db.example/catalog'
    await expect(openDatabase(url)).rejects.toThrow(/DATABASE_URL.*sqlite:<path>.*postgres:\/\//)
    await expect(openDatabase(url)).rejects.not.toThrow(/s3cret/)
    await expect(openDatabase('catalog.db')).rejects.toThrow(/DATABASE_URL/)
    await expect(openDatabase('sqlite:')).rejects.toThrow(/DATABASE_URL/)
  })
})

describe('openDatabase on SQLite', () => {
  it('creates the folder and sets the pragmas that several processes sharing a file need', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-client-'))
    const database = await openDatabase(`sqlite:${join(dir, 'nested', 'catalog.db')}`)
    try {
      expect(database.dialect).toBe('sqlite')
      await database.ping()
      expect((await stat(join(dir, 'nested'))).isDirectory()).toBe(true)
      const pragma = async (name: string) =>
        (await sql<Record<string, unknown>>`pragma ${sql.raw(name)}`.execute(database.db)).rows[0]
      expect(await pragma('journal_mode')).toEqual({ journal_mode: 'wal' })
      expect(await pragma('busy_timeout')).toEqual({ timeout: 5000 })
      expect(await pragma('foreign_keys')).toEqual({ foreign_keys: 1 })
      expect(await pragma('synchronous')).toEqual({ synchronous: 1 }) // NORMAL
    } finally {
      await database.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('opens an in-memory database', async () => {
    const database = await openDatabase('sqlite::memory:')
    await database.ping()
    await database.close()
  })
})

describe.each(testDialects)('openDatabase on $name', (dialect) => {
  it('pings, and returns counts and averages as numbers', async () => {
    const testDatabase = await dialect.create()
    const database = await openDatabase(testDatabase.url)
    try {
      expect(database.dialect).toBe(dialect.name)
      await database.ping()
      // On PostgreSQL count() is int8 and avg() numeric, which pg returns as strings by default.
      const { rows } = await sql<{ n: unknown; mean: unknown }>`
        select count(*) as n, round(avg(x), 2) as mean from (select 1 as x union all select 2) t
      `.execute(database.db)
      expect(rows[0]).toEqual({ n: 2, mean: 1.5 })
    } finally {
      await database.close()
      await testDatabase.cleanup()
    }
  })
})
