import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { BoundHistogram } from '../../src/bound-histogram.js'

const buckets = [0.001, 0.01, 0.1]
const observations = [0.0005, 0.001, 0.002, 0.05, 0.5, 3]

/** The text exposition of what `register` puts in a fresh registry. */
async function exposition(register: (registers: Registry[]) => void): Promise<string> {
  const registry = new Registry()
  register([registry])
  return registry.metrics()
}

describe('BoundHistogram', () => {
  it("exports exactly what prom-client's Histogram exports for the same observations", async () => {
    const labels = { cache: 'product', tier: 'l1' } as const
    const ordinary = await exposition((registers) => {
      const histogram = new Histogram({
        name: 'x',
        help: 'x',
        labelNames: ['cache', 'tier'],
        buckets,
        registers,
      })
      for (const value of observations) histogram.observe(labels, value)
    })
    const bound = await exposition((registers) => {
      const series = new BoundHistogram({
        name: 'x',
        help: 'x',
        labelNames: ['cache', 'tier'],
        buckets,
        registers,
      }).bind(labels)
      for (const value of observations) series.observe(value)
    })
    expect(bound).toBe(ordinary)
    expect(bound).toContain('x_bucket{le="0.001",cache="product",tier="l1"} 2') // le is inclusive
  })

  it('binds one series per label set, whatever the key order, and keeps it through a reset', async () => {
    const registry = new Registry()
    const histogram = new BoundHistogram({
      name: 'y',
      help: 'y',
      labelNames: ['a', 'b'],
      buckets,
      registers: [registry],
    })
    const first = histogram.bind({ a: '1', b: '2' })
    expect(histogram.bind({ b: '2', a: '1' })).toBe(first)
    first.observe(0.005)
    registry.resetMetrics()
    first.observe(0.05)
    const text = await registry.metrics()
    expect(text).toContain('y_count{a="1",b="2"} 1')
    expect(text).toContain('y_bucket{le="0.01",a="1",b="2"} 0')
  })
})
