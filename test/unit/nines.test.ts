import { describe, expect, it } from 'vitest'
import { NinesCounter, ninesOf } from '../../src/consistency/nines.js'

describe('nines of consistency', () => {
  it('is −log10 of the stale share, a lower bound when nothing was stale', () => {
    expect(ninesOf(1000, 1)).toEqual({ nines: 3, atLeast: false })
    expect(ninesOf(20_000, 1)).toEqual({ nines: 4.3, atLeast: false })
    expect(ninesOf(1000, 0)).toEqual({ nines: 3, atLeast: true })
    expect(ninesOf(0, 0)).toEqual({ nines: null, atLeast: false })
    expect(ninesOf(10, 10)).toEqual({ nines: 0, atLeast: false })
  })

  it('counts each window over its own span, forgetting what is older', () => {
    let now = 1_700_000_000_000
    const counter = new NinesCounter(() => now)
    for (let i = 0; i < 99; i++) counter.record(false)
    counter.record(true)
    expect(counter.windows()['1m']).toMatchObject({ checks: 100, stale: 1, nines: 2 })

    now += 2 * 60_000 // two minutes later: out of the last minute, still in the last 5
    counter.record(false)
    const later = counter.windows()
    expect(later['1m']).toMatchObject({ checks: 1, stale: 0, atLeast: true })
    expect(later['5m']).toMatchObject({ checks: 101, stale: 1 })

    now += 2 * 3_600_000 // past the hour, and past every slot's reuse
    expect(counter.windows()['1h']).toMatchObject({ checks: 0, stale: 0, nines: null })
  })
})
