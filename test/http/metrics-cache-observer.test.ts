import { LateTimeoutError } from '@caching-strategies/cache'
import { describe, expect, it } from 'vitest'
import { cacheMetricsObserver, createMetrics } from '../../src/metrics.js'

describe('the cache observer as metrics', () => {
  it('counts a late timeout as a failed call and, apart, as late; any other failure only as failed', async () => {
    const metrics = createMetrics()
    const errors: unknown[] = []
    const observer = cacheMetricsObserver(metrics, (_cache, _operation, error) =>
      errors.push(error),
    )
    const late = new LateTimeoutError(40, { cause: new Error('Command timed out') })
    observer.error('product', 'get', late)
    observer.error('product', 'lease', new Error('Command timed out'))

    const text = await metrics.registry.metrics()
    expect(text).toContain('cache_errors_total{cache="product",operation="get"} 1')
    expect(text).toContain('cache_errors_total{cache="product",operation="lease"} 1')
    expect(text).toContain('cache_late_timeouts_total{cache="product"} 1')
    expect(errors).toEqual([late, expect.any(Error)])
  })
})
