import { describe, expect, it } from 'vitest'
import { exportedSeriesNames, sampleSum } from './support/exposition.js'

const TEXT = `# HELP cache_hits_total Reads answered fresh
# TYPE cache_hits_total counter
cache_hits_total{cache="product",tier="l1"} 7
cache_hits_total{cache="product",tier="l2"} 3
cache_hits_total{cache="product_list",tier="l1"} 100
# HELP cache_misses_total Reads that waited for a load
# TYPE cache_misses_total counter
# HELP job_duration_seconds How long one attempt took
# TYPE job_duration_seconds histogram
# TYPE rpc_seconds summary
process_cpu_seconds_total 0.5
odd{path="a \\"quoted\\", comma"} 2
`

describe('the text exposition helpers', () => {
  it('lists declared families, with the series of histograms and summaries', () => {
    const names = exportedSeriesNames(TEXT)
    for (const name of [
      'cache_hits_total',
      'cache_misses_total', // declared, no sample yet: still exported
      'job_duration_seconds_bucket',
      'job_duration_seconds_count',
      'job_duration_seconds_sum',
      'rpc_seconds',
      'rpc_seconds_count',
      'process_cpu_seconds_total', // a sample without a TYPE line
    ]) {
      expect(names).toContain(name)
    }
    expect(names).not.toContain('job_duration_seconds')
  })

  it('sums the samples that carry the given labels', () => {
    expect(sampleSum(TEXT, 'cache_hits_total', { cache: 'product' })).toBe(10)
    expect(sampleSum(TEXT, 'cache_hits_total')).toBe(110)
    expect(sampleSum(TEXT, 'cache_misses_total', { cache: 'product' })).toBe(0)
    expect(sampleSum(TEXT, 'odd', { path: 'a "quoted", comma' })).toBe(2)
  })
})
