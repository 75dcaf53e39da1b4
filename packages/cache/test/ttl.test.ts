import { describe, expect, it } from 'vitest'
import { ttlWithJitterMs } from '../src/ttl.js'

describe('ttlWithJitterMs', () => {
  it('adds nothing when the random source gives 0', () => {
    expect(ttlWithJitterMs(300_000, 0.1, () => 0)).toBe(300_000)
  })

  it('stays within base * (1 + jitter) at the top of the random range', () => {
    expect(ttlWithJitterMs(300_000, 0.1, () => 0.999_999)).toBe(329_999)
    expect(ttlWithJitterMs(1000, 0.1, () => 0.5)).toBe(1050)
  })

  it('spreads entries across the whole window', () => {
    const ttls = [0, 0.25, 0.5, 0.75].map((r) => ttlWithJitterMs(1000, 0.2, () => r))
    expect(ttls).toEqual([1000, 1050, 1100, 1150])
  })

  it('adds nothing without jitter', () => {
    expect(ttlWithJitterMs(5000, 0, () => 0.9)).toBe(5000)
  })

  it('answers whole milliseconds, at least 1 (Redis rejects PX 0)', () => {
    expect(ttlWithJitterMs(0.4, 0.1, () => 0.5)).toBe(1)
    expect(Number.isInteger(ttlWithJitterMs(1234.5, 0.1, () => 0.3))).toBe(true)
  })
})
