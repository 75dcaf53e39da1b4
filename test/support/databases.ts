// Fresh, isolated databases for tests: every create() gets its own SQLite file or PostgreSQL
// database, so test files running in parallel never see each other's rows.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export interface TestDatabase {
  /** A DATABASE_URL for `openDatabase`. */
  url: string
  /** Removes everything create() made, including what the test left behind. */
  cleanup(): Promise<void>
}

export interface TestDialect {
  name: 'sqlite' | 'postgres'
  create(): Promise<TestDatabase>
}

export const PG_TEST_URL: string =
  process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const sqlite: TestDialect = {
  name: 'sqlite',
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-test-'))
    return {
      url: `sqlite:${join(dir, 'catalog.db')}`,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    }
  },
}

/**
 * A fresh database per create(), not a schema: pg does honour `?options=-c search_path=…`, but
 * Kysely's migrator introspects every schema of its database, and a schema another test drops
 * mid-query fails it with 3F000. Databases do not see each other's catalogs; creating one from
 * template0 takes ~15 ms.
 */
const postgres: TestDialect = {
  name: 'postgres',
  async create() {
    const name = `t_${randomBytes(8).toString('hex')}`
    await withAdminClient((client) => client.query(`create database ${name} template template0`))
    const url = new URL(PG_TEST_URL)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      // FORCE ends connections a test left open, so cleanup never waits on them.
      async cleanup() {
        await withAdminClient((client) =>
          client.query(`drop database if exists ${name} with (force)`),
        )
      },
    }
  },
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => {})
    throw new Error(
      `PostgreSQL for tests is unreachable at ${redacted(PG_TEST_URL)} (set PG_TEST_URL; ` +
        'with CI=true the PostgreSQL suite never skips)',
      { cause: error },
    )
  }
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

function redacted(url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.toString()
}

async function postgresReachable(): Promise<boolean> {
  try {
    await withAdminClient((client) => client.query('select 1'))
    return true
  } catch {
    console.warn(`PostgreSQL unreachable at ${redacted(PG_TEST_URL)}: PostgreSQL tests skipped`)
    return false
  }
}

// Decided once per test file. In CI the PostgreSQL suite always runs, so an outage fails loudly
// in create() instead of silently shrinking coverage.
const includePostgres = process.env.CI === 'true' || (await postgresReachable())

export const testDialects: TestDialect[] = includePostgres ? [sqlite, postgres] : [sqlite]
