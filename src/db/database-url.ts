/** Where the catalog lives, decided from DATABASE_URL. */
export type DatabaseTarget =
  | { dialect: 'sqlite'; filename: string }
  | { dialect: 'postgres'; connectionString: string }

/** Used when DATABASE_URL is unset or empty, so a fresh clone runs with no setup. */
export const DEFAULT_SQLITE_FILE = './data/catalog.db'

const ACCEPTED_FORMS =
  'empty (SQLite at ./data/catalog.db), "sqlite:<path>", "sqlite::memory:", ' +
  '"postgres://…" or "postgresql://…"'

export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  if (url === undefined || url === '') return { dialect: 'sqlite', filename: DEFAULT_SQLITE_FILE }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { dialect: 'postgres', connectionString: url }
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length)
    if (path === '')
      throw new Error(`DATABASE_URL "sqlite:" needs a path; accepted: ${ACCEPTED_FORMS}`)
    // better-sqlite3 treats ':memory:' as a private in-process database.
    return { dialect: 'sqlite', filename: path }
  }
  // Only the scheme is echoed: the rest of a URL may hold a password.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'a value without a scheme'
  throw new Error(`DATABASE_URL is not supported (${scheme}); accepted: ${ACCEPTED_FORMS}`)
}
