import { Counter, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { BoundCounter } from '../../src/bound-counter.js'

describe('BoundCounter', () => {
  it("exports exactly what prom-client's Counter exports for the same increments", async () => {
    const increments = [
      { cache: 'product', tier: 'l1' },
      { cache: 'product', tier: 'l1' },
      { cache: 'product', tier: 'l2' },
    ] as const
    const ordinaryRegistry = new Registry()
    const ordinary = new Counter({
      name: 'hits',
      help: 'h',
      labelNames: ['cache', 'tier'],
      registers: [ordinaryRegistry],
    })
    for (const labels of increments) ordinary.inc(labels)

    const boundRegistry = new Registry()
    const bound = new BoundCounter({
      name: 'hits',
      help: 'h',
      labelNames: ['cache', 'tier'],
      registers: [boundRegistry],
    })
    for (const labels of increments) bound.bind(labels).inc()

    expect(await boundRegistry.metrics()).toBe(await ordinaryRegistry.metrics())
    expect(await boundRegistry.metrics()).toContain('hits{cache="product",tier="l1"} 2')
    // Read twice, counted once: the pending counts were added, not re-added.
    expect(await boundRegistry.metrics()).toContain('hits{cache="product",tier="l2"} 1')
    expect((await bound.get()).values).toHaveLength(2)
  })

  it('binds one count per label set, whatever the key order; a reset drops what was pending', async () => {
    const registry = new Registry()
    const counter = new BoundCounter({
      name: 'c',
      help: 'c',
      labelNames: ['a', 'b'],
      registers: [registry],
    })
    const first = counter.bind({ a: '1', b: '2' })
    expect(counter.bind({ b: '2', a: '1' })).toBe(first)
    first.inc()
    registry.resetMetrics()
    first.inc()
    first.inc()
    expect(await registry.metrics()).toContain('c{a="1",b="2"} 2')
    // A label set never counted exports nothing, as with an ordinary Counter.
    counter.bind({ a: '3', b: '4' })
    expect(await registry.metrics()).not.toContain('a="3"')
  })
})
