import { describe, expect, it } from 'vitest'
import { createZipfSampler, seededRandom } from '../../bench/zipf.js'

const harmonic = (n: number, s: number) => {
  let sum = 0
  for (let k = 1; k <= n; k++) sum += 1 / k ** s
  return sum
}

describe('createZipfSampler', () => {
  it('gives rank k the probability (1 / k^s) / H(n, s)', () => {
    const sampler = createZipfSampler(10_000, 1)
    const h = harmonic(10_000, 1)
    expect(sampler.probability(1)).toBeCloseTo(1 / h, 12)
    expect(sampler.probability(10)).toBeCloseTo(1 / 10 / h, 12)
    expect(sampler.probability(10_000)).toBeCloseTo(1 / 10_000 / h, 12)
    let total = 0
    for (let rank = 1; rank <= 10_000; rank++) total += sampler.probability(rank)
    expect(total).toBeCloseTo(1, 9)
    expect(sampler.probability(0)).toBe(0)
    expect(sampler.probability(10_001)).toBe(0)
  })

  it('maps the edges of [0, 1) to the first and the last rank', () => {
    expect(createZipfSampler(100, 1, () => 0).next()).toBe(1)
    expect(createZipfSampler(100, 1, () => 0.999_999_999).next()).toBe(100)
    expect(createZipfSampler(1, 1, () => 0.5).next()).toBe(1)
  })

  it('draws each rank about as often as its probability says', () => {
    const n = 1000
    const draws = 200_000
    const sampler = createZipfSampler(n, 1, seededRandom(7))
    const counts = new Array<number>(n + 1).fill(0)
    for (let i = 0; i < draws; i++) {
      const rank = sampler.next()
      expect(rank).toBeGreaterThanOrEqual(1)
      expect(rank).toBeLessThanOrEqual(n)
      counts[rank] = (counts[rank] ?? 0) + 1
    }
    for (const rank of [1, 2, 5, 10, 100]) {
      const expected = sampler.probability(rank) * draws
      // Well within 5 standard deviations of a binomial count.
      expect(Math.abs((counts[rank] ?? 0) - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1)
    }
  })

  it('is uniform with s = 0, and repeatable with a seeded random', () => {
    const uniform = createZipfSampler(4, 0)
    for (let rank = 1; rank <= 4; rank++) expect(uniform.probability(rank)).toBeCloseTo(0.25, 12)
    const a = createZipfSampler(10_000, 1, seededRandom(42))
    const b = createZipfSampler(10_000, 1, seededRandom(42))
    const drawsA = Array.from({ length: 50 }, () => a.next())
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(drawsA)
  })

  it('refuses an empty or fractional range and a negative exponent', () => {
    expect(() => createZipfSampler(0, 1)).toThrow(RangeError)
    expect(() => createZipfSampler(2.5, 1)).toThrow(RangeError)
    expect(() => createZipfSampler(10, -1)).toThrow(RangeError)
  })
})

describe('seededRandom', () => {
  it('answers numbers in [0, 1)', () => {
    const random = seededRandom(1)
    for (let i = 0; i < 10_000; i++) {
      const value = random()
      expect(value).toBeGreaterThanOrEqual(0)
      expect(value).toBeLessThan(1)
    }
  })
})
