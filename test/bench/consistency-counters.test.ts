import { describe, expect, it } from 'vitest'
import {
  checkDelaysMs,
  consistencyFigures,
  formatNines,
  productConsistencyCounters,
  subtractConsistency,
  ZERO_CONSISTENCY,
} from '../../bench/consistency-counters.js'
import { parsePrometheusText } from '../../bench/prometheus-text.js'
import { renderConsistencyTable } from '../../bench/report/markdown-report.js'

const EXPOSITION = `
# TYPE cache_consistency_checks_total counter
cache_consistency_checks_total{cache="product",kind="invalidation",result="consistent"} 990
cache_consistency_checks_total{cache="product",kind="invalidation",result="stale"} 8
cache_consistency_checks_total{cache="product",kind="sample",result="consistent"} 40
cache_consistency_checks_total{cache="product",kind="sample",result="stale"} 2
cache_consistency_checks_total{cache="product_list",kind="sample",result="stale"} 500
# TYPE cache_consistency_stale_age_seconds histogram
cache_consistency_stale_age_seconds_bucket{cache="product",le="1"} 6
cache_consistency_stale_age_seconds_bucket{cache="product",le="+Inf"} 10
cache_consistency_stale_age_seconds_sum{cache="product"} 15
cache_consistency_stale_age_seconds_count{cache="product"} 10
`

describe('productConsistencyCounters', () => {
  it("reads the product cache's checks by kind and result, and the stale ages", () => {
    expect(productConsistencyCounters(parsePrometheusText(EXPOSITION))).toEqual({
      invalidationChecks: 998,
      invalidationStale: 8,
      sampleChecks: 42,
      sampleStale: 2,
      staleAgeSecondsSum: 15,
      staleAgeCount: 10,
    })
  })

  it('answers zeros for a service without the monitor, and differences of two scrapes', () => {
    expect(productConsistencyCounters([])).toEqual(ZERO_CONSISTENCY)
    const after = productConsistencyCounters(parsePrometheusText(EXPOSITION))
    expect(subtractConsistency(after, after)).toEqual(ZERO_CONSISTENCY)
    expect(subtractConsistency(after, ZERO_CONSISTENCY)).toEqual(after)
  })
})

describe('consistencyFigures', () => {
  const target = { id: 'naive', label: 'naive', strategy: 'naive' }

  it('adds both kinds and gives the nines of the stale share, as /stats does', () => {
    const figures = consistencyFigures(
      target,
      productConsistencyCounters(parsePrometheusText(EXPOSITION)),
    )
    expect(figures).toMatchObject({ checks: 1040, stale: 10, nines: 2.02, atLeast: false })
    expect(figures.meanStaleAgeMs).toBe(1500)
    expect(formatNines(figures)).toBe('2.02')
  })

  it('with no stale check, vouches only for log10(checks); with no check, for nothing', () => {
    const clean = consistencyFigures(target, { ...ZERO_CONSISTENCY, invalidationChecks: 1000 })
    expect(clean).toMatchObject({ checks: 1000, stale: 0, nines: 3, atLeast: true })
    expect(clean.meanStaleAgeMs).toBeNaN()
    expect(formatNines(clean)).toBe('≥ 3.00')
    const none = consistencyFigures(target, ZERO_CONSISTENCY)
    expect(none.nines).toBeNull()
    expect(formatNines(none)).toBe('–')
  })

  it('renders one row per target', () => {
    const table = renderConsistencyTable([
      consistencyFigures(target, productConsistencyCounters(parsePrometheusText(EXPOSITION))),
    ])
    expect(table.split('\n')).toHaveLength(3)
    expect(table).toContain('| naive | 1,040 | 10 | 2.02 | 998 | 8 | 42 | 2 | 1.5 s |')
  })
})

describe('checkDelaysMs', () => {
  it('reads CONSISTENCY_CHECK_DELAYS_MS as the service does', () => {
    expect(checkDelaysMs('1000,10000')).toEqual([1000, 10_000])
    expect(checkDelaysMs('500')).toEqual([500])
    expect(checkDelaysMs('none')).toEqual([])
  })
})
