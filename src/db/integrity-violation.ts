/**
 * The database's message when it refused a write's values (a CHECK, NOT NULL or foreign key
 * constraint, or a value its column cannot hold); undefined for any other error, e.g. a lost
 * connection or a lock timeout, which a retry may cure. UNIQUE violations: see unique-violation.ts.
 */
export function integrityViolation(error: unknown): string | undefined {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') {
    return undefined
  }
  // better-sqlite3: SQLITE_CONSTRAINT_CHECK, _NOTNULL, _FOREIGNKEY…; SQLITE_MISMATCH (datatype).
  const sqlite = error.code.startsWith('SQLITE_CONSTRAINT') || error.code === 'SQLITE_MISMATCH'
  // pg: SQLSTATE class 23 (integrity constraint violation) and 22 (data exception).
  const postgres = /^2[23][0-9A-Z]{3}$/.test(error.code)
  return sqlite || postgres ? error.message : undefined
}
