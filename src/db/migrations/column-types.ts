import { type RawBuilder, sql } from 'kysely'
import type { DialectName } from '../client.js'

/** The few column definitions that differ between the dialects. */
export interface DialectColumns {
  /** Auto-assigned int4 primary key. */
  id: 'serial' | 'integer'
  autoIncrement: boolean
  /** PostgreSQL `timestamptz`; SQLite has no date type, so ISO-8601 text that sorts correctly. */
  timestamp: 'timestamptz' | 'text'
  now: RawBuilder<unknown>
}

export function dialectColumns(dialect: DialectName): DialectColumns {
  if (dialect === 'postgres') {
    return { id: 'serial', autoIncrement: false, timestamp: 'timestamptz', now: sql`now()` }
  }
  return {
    // AUTOINCREMENT: ids of deleted products are never handed out again (cache keys stay unique).
    id: 'integer',
    autoIncrement: true,
    timestamp: 'text',
    now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
  }
}
