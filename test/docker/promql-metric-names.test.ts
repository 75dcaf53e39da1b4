import { describe, expect, it } from 'vitest'
import { metricNames } from './support/promql-metric-names.js'

describe('metricNames (the metrics a PromQL expression reads)', () => {
  it('finds a bare selector and one with matchers', () => {
    expect(metricNames('cache_circuit_state')).toEqual(['cache_circuit_state'])
    expect(metricNames('queue_jobs{state=~"waiting|active"}')).toEqual(['queue_jobs'])
  })

  it('skips functions, aggregations and their grouping labels', () => {
    const expression =
      'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/metrics|/health"}[$__rate_interval])))'
    expect(metricNames(expression)).toEqual(['http_request_duration_seconds_bucket'])
    expect(metricNames('sum(rate(jobs_total[5m])) without (instance)')).toEqual(['jobs_total'])
  })

  it('collects every metric of a binary expression once, in order', () => {
    const expression =
      '(sum(rate(cache_hits_total[1m])) or vector(0)) / (sum(rate(cache_hits_total[1m])) + sum(rate(cache_misses_total[1m])))'
    expect(metricNames(expression)).toEqual(['cache_hits_total', 'cache_misses_total'])
  })

  it('skips keywords, numbers, durations, offsets and label values', () => {
    expect(metricNames('a_total > bool 1e3 and on (job) b_total offset 5m unless c')).toEqual([
      'a_total',
      'b_total',
      'c',
    ])
    expect(metricNames('x{label="not_a_metric", other=\'{brace}\'} * Inf')).toEqual(['x'])
  })

  it('skips Grafana variables wherever they stand', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${} syntax
    expect(metricNames('topk($top, up{job=~"$job"}) * ${factor}')).toEqual(['up'])
  })

  it('reads a name given as a __name__ matcher', () => {
    expect(metricNames('{__name__="cache_l1_bytes", instance="a"}')).toEqual(['cache_l1_bytes'])
  })

  it('takes metric names with colons (recording rules)', () => {
    expect(metricNames('job:cache_hits:rate5m / 2')).toEqual(['job:cache_hits:rate5m'])
  })
})
