import type { Entry } from './entry.js'
import type { CacheTier } from './types.js'

/**
 * One storage tier. Redis is the first; an in-process memory tier comes next and must pass the
 * same conformance suite (test/cache/tier-driver-conformance.ts).
 *
 * Drivers do no failure policy: they throw on any failure, and `GuardedTier` decides what a
 * failure means (a miss, a reported error, a rejected write). An unreadable stored entry is not a
 * failure: `get` answers undefined so the next fill overwrites it.
 */
export interface TierDriver {
  readonly tier: CacheTier
  get(key: string): Promise<Entry<unknown> | undefined>
  /** Writes the entry with a TTL in milliseconds (a whole number >= 1). */
  set(key: string, entry: Entry<unknown>, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
}
