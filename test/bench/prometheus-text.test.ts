import { describe, expect, it } from 'vitest'
import {
  hitRatios,
  productCacheCounters,
  subtractCounters,
  ZERO_COUNTERS,
} from '../../bench/cache-counters.js'
import {
  exportedSeriesNames,
  parsePrometheusText,
  sumSamples,
} from '../../bench/prometheus-text.js'

// As prom-client writes it (abridged from the service's /metrics).
const METRICS = `# HELP cache_hits_total Reads answered fresh from the cache, by cache and tier
# TYPE cache_hits_total counter
cache_hits_total{cache="product",tier="l1"} 1200
cache_hits_total{cache="product",tier="l2"} 300
cache_hits_total{cache="product_list",tier="l2"} 7

# TYPE cache_misses_total counter
cache_misses_total{cache="product"} 40
cache_loads_total{cache="product"} 38
cache_stale_served_total{cache="product"} 10
cache_coalesced_total{cache="product"} 2
cache_errors_total{cache="product",operation="get"} 3
cache_errors_total{cache="product",operation="lease"} 1
http_request_duration_seconds_bucket{le="0.001",method="GET",route="/products/:id",status_code="200"} 1500
http_request_duration_seconds_count{method="GET",route="/products/:id",status_code="200"} 1540
http_request_duration_seconds_count{method="GET",route="/products/:id",status_code="404"} 10
http_request_duration_seconds_count{method="PATCH",route="/products/:id",status_code="200"} 99
process_start_time_seconds 1732590000
weird_label{path="a \\"quoted\\" \\\\ value"} 1
nodejs_heap_space_size_total_bytes{space="read_only"} +Inf
nodejs_eventloop_lag_mean_seconds Nan
not a sample line
odd_value banana
`

describe('parsePrometheusText', () => {
  const samples = parsePrometheusText(METRICS)

  it('reads names, labels and values, skipping comments and junk', () => {
    expect(samples).toContainEqual({
      name: 'cache_hits_total',
      labels: { cache: 'product', tier: 'l1' },
      value: 1200,
    })
    expect(samples).toContainEqual({
      name: 'process_start_time_seconds',
      labels: {},
      value: 1732590000,
    })
    expect(samples.find((sample) => sample.name === 'weird_label')?.labels.path).toBe(
      'a "quoted" \\ value',
    )
    expect(samples.some((sample) => sample.name === 'not')).toBe(false)
    expect(samples.some((sample) => sample.name === 'odd_value')).toBe(false)
    // NaN is a value the format has (prom-client spells it Nan): read, not skipped.
    expect(
      samples.find((sample) => sample.name === 'nodejs_eventloop_lag_mean_seconds')?.value,
    ).toBeNaN()
  })

  it('sums every sample whose labels include the ones asked for', () => {
    expect(sumSamples(samples, 'cache_hits_total')).toBe(1507)
    expect(sumSamples(samples, 'cache_hits_total', { cache: 'product' })).toBe(1500)
    expect(sumSamples(samples, 'cache_errors_total', { cache: 'product' })).toBe(4)
    expect(sumSamples(samples, 'no_such_metric')).toBe(0)
  })
})

describe('exportedSeriesNames', () => {
  const TEXT = `# HELP cache_hits_total Reads answered fresh
# TYPE cache_hits_total counter
cache_hits_total{cache="product",tier="l1"} 7
# HELP cache_misses_total Reads that waited for a load
# TYPE cache_misses_total counter
# HELP job_duration_seconds How long one attempt took
# TYPE job_duration_seconds histogram
# TYPE rpc_seconds summary
process_cpu_seconds_total 0.5
odd{path="a \\"quoted\\", comma"} 2
`

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
      'odd',
    ]) {
      expect(names).toContain(name)
    }
    expect(names).not.toContain('job_duration_seconds')
  })

  it('reads labels whose values hold quotes and commas', () => {
    const samples = parsePrometheusText(TEXT)
    expect(sumSamples(samples, 'odd', { path: 'a "quoted", comma' })).toBe(2)
    expect(sumSamples(samples, 'cache_misses_total', { cache: 'product' })).toBe(0)
  })
})

describe('productCacheCounters', () => {
  it('reads the product cache only, and GET /products/:id from the request histogram', () => {
    const counters = productCacheCounters(parsePrometheusText(METRICS))
    expect(counters).toEqual({
      loads: 38,
      l1Hits: 1200,
      l2Hits: 300,
      stale: 10,
      misses: 40,
      coalesced: 2,
      redisErrors: 4,
      productReads: 1550,
    })
    expect(subtractCounters(counters, counters)).toEqual(ZERO_COUNTERS)
  })

  it('shares out the reads by tier, and says n/a (NaN) for a strategy with no cache', () => {
    const ratios = hitRatios({ ...ZERO_COUNTERS, l1Hits: 60, l2Hits: 20, stale: 10, misses: 10 })
    expect(ratios).toEqual({ l1: 0.6, l2: 0.2, stale: 0.1, miss: 0.1 })
    expect(hitRatios(ZERO_COUNTERS).l1).toBeNaN()
  })
})
