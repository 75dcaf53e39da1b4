import { describe, expect, it } from 'vitest'
import type { RunMeasurement } from '../../bench/results.js'
import {
  median,
  medianOfFields,
  percentileOfSorted,
  perThousand,
  ratio,
  summarizeLatencies,
} from '../../bench/stats.js'
import { pairedRatio } from '../../bench/summarize-target.js'

describe('percentileOfSorted (nearest rank)', () => {
  const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

  it('answers the smallest value with at least p% of the values at or below it', () => {
    expect(percentileOfSorted(values, 50)).toBe(5)
    expect(percentileOfSorted(values, 90)).toBe(9)
    expect(percentileOfSorted(values, 99)).toBe(10)
    expect(percentileOfSorted(values, 100)).toBe(10)
    expect(percentileOfSorted(values, 10)).toBe(1)
    expect(percentileOfSorted(values, 0.1)).toBe(1)
  })

  it('sees one slow request in a thousand only from p99.9 up', () => {
    const latencies = Float64Array.from({ length: 1000 }, (_, i) => (i === 999 ? 100 : 1))
    expect(percentileOfSorted(latencies, 99)).toBe(1)
    expect(percentileOfSorted(latencies, 99.9)).toBe(1)
    const twoSlow = Float64Array.from({ length: 1000 }, (_, i) => (i >= 998 ? 100 : 1))
    expect(percentileOfSorted(twoSlow, 99.9)).toBe(100)
  })

  it('is NaN for no values and refuses p outside (0, 100]', () => {
    expect(percentileOfSorted([], 50)).toBeNaN()
    expect(() => percentileOfSorted(values, 0)).toThrow(RangeError)
    expect(() => percentileOfSorted(values, 101)).toThrow(RangeError)
  })
})

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([7])).toBe(7)
  })

  it('ignores values that are not finite, and is NaN with none left', () => {
    expect(median([Number.NaN, 5, 1, Number.POSITIVE_INFINITY])).toBe(3)
    expect(median([])).toBeNaN()
    expect(median([Number.NaN])).toBeNaN()
  })

  it('takes each field on its own over rounds', () => {
    const rounds = [
      { rps: 100, p99: 9 },
      { rps: 300, p99: 1 },
      { rps: 200, p99: 5 },
    ]
    expect(medianOfFields(rounds, ['rps', 'p99'])).toEqual({ rps: 200, p99: 5 })
  })
})

describe('summarizeLatencies', () => {
  it('reports percentiles of unsorted samples without reordering them', () => {
    const samples = Float64Array.from([5, 1, 4, 2, 3])
    const summary = summarizeLatencies(samples)
    expect(summary).toMatchObject({ count: 5, mean: 3, p50: 3, p99: 5, max: 5 })
    expect([...samples]).toEqual([5, 1, 4, 2, 3])
  })

  it('summarizes only the first `count` samples', () => {
    expect(summarizeLatencies(Float64Array.from([1, 2, 1000]), 2).max).toBe(2)
    expect(summarizeLatencies(new Float64Array(0)).p50).toBeNaN()
  })
})

describe('ratios', () => {
  it('is NaN rather than Infinity or a made-up number', () => {
    expect(ratio(9, 10)).toBeCloseTo(0.9)
    expect(ratio(1, 0)).toBeNaN()
    expect(ratio(Number.NaN, 1)).toBeNaN()
    expect(perThousand(5, 10_000)).toBe(0.5)
    expect(perThousand(5, 0)).toBeNaN()
  })

  it('pairs runs with the reference run of the same round, then takes the median', () => {
    const run = (round: number, rps: number) => ({ round, rps }) as RunMeasurement
    const target = [run(1, 90), run(2, 50), run(3, 180)]
    const reference = [run(3, 200), run(1, 100), run(2, 100)]
    // 0.9, 0.5, 0.9: a noisy round 2 moves neither the median nor the pairing.
    expect(pairedRatio(target, reference)).toBeCloseTo(0.9)
    expect(pairedRatio(target, [])).toBeNaN()
  })
})
