import { ninesOf } from '../src/consistency/nines.js'
import { type Sample, sumSamples } from './prometheus-text.js'

/**
 * The consistency monitor's counters for the product cache on one instance's /metrics (or their
 * sum, or a difference): `cache_consistency_checks_total` by kind and result, and the sum and
 * count of `cache_consistency_stale_age_seconds`.
 */
export interface ConsistencyCounters {
  /** Checks made after a write (at each of CONSISTENCY_CHECK_DELAYS_MS), and how many found a stale copy. */
  invalidationChecks: number
  invalidationStale: number
  /** Cache answers compared with the database (CONSISTENCY_SAMPLE_PER_SEC), and the stale ones. */
  sampleChecks: number
  sampleStale: number
  /** How long the stale copies found had been wrong, in seconds, summed; and how many. */
  staleAgeSecondsSum: number
  staleAgeCount: number
}

export const ZERO_CONSISTENCY: ConsistencyCounters = {
  invalidationChecks: 0,
  invalidationStale: 0,
  sampleChecks: 0,
  sampleStale: 0,
  staleAgeSecondsSum: 0,
  staleAgeCount: 0,
}

const CHECKS = 'cache_consistency_checks_total'
const PRODUCT = { cache: 'product' }

export function productConsistencyCounters(samples: readonly Sample[]): ConsistencyCounters {
  const count = (kind: string, result?: string) =>
    sumSamples(samples, CHECKS, { ...PRODUCT, kind, ...(result ? { result } : {}) })
  return {
    invalidationChecks: count('invalidation'),
    invalidationStale: count('invalidation', 'stale'),
    sampleChecks: count('sample'),
    sampleStale: count('sample', 'stale'),
    staleAgeSecondsSum: sumSamples(samples, 'cache_consistency_stale_age_seconds_sum', PRODUCT),
    staleAgeCount: sumSamples(samples, 'cache_consistency_stale_age_seconds_count', PRODUCT),
  }
}

export function subtractConsistency(
  after: ConsistencyCounters,
  before: ConsistencyCounters,
): ConsistencyCounters {
  const result = { ...ZERO_CONSISTENCY }
  for (const field of Object.keys(ZERO_CONSISTENCY) as Array<keyof ConsistencyCounters>) {
    result[field] = after[field] - before[field]
  }
  return result
}

/** What the monitor of one target saw over a scenario, as the report shows it. */
export interface ConsistencyFigures {
  targetId: string
  label: string
  strategy: string | undefined
  /** Every check, both kinds, and those that found a stale copy. */
  checks: number
  stale: number
  /**
   * −log10(stale / checks), as /stats reports them (src/consistency/nines.ts); with no stale
   * check, log10(checks), a lower bound (`atLeast`); null with no check at all.
   */
  nines: number | null
  atLeast: boolean
  counters: ConsistencyCounters
  /** The mean of how long the stale copies found had been wrong, in ms (NaN: none found). */
  meanStaleAgeMs: number
}

export function consistencyFigures(
  target: { id: string; label: string; strategy?: string | undefined },
  counters: ConsistencyCounters,
): ConsistencyFigures {
  const checks = counters.invalidationChecks + counters.sampleChecks
  const stale = counters.invalidationStale + counters.sampleStale
  return {
    targetId: target.id,
    label: target.label,
    strategy: target.strategy,
    checks,
    stale,
    ...ninesOf(checks, stale),
    counters,
    meanStaleAgeMs:
      counters.staleAgeCount > 0
        ? (counters.staleAgeSecondsSum / counters.staleAgeCount) * 1000
        : Number.NaN,
  }
}

/** Nines as the report writes them: `3.2`, `≥ 4.1` (no stale check), `–` (no check). */
export function formatNines(figures: Pick<ConsistencyFigures, 'nines' | 'atLeast'>): string {
  if (figures.nines === null) return '–'
  return `${figures.atLeast ? '≥ ' : ''}${figures.nines.toFixed(2)}`
}

/** CONSISTENCY_CHECK_DELAYS_MS as the service reads it: `1000,10000` → [1000, 10000]; `none` → []. */
export function checkDelaysMs(setting: string): number[] {
  if (setting.trim() === 'none') return []
  return setting.split(',').map(Number)
}
