import { describe, expect, it } from 'vitest'
import { cpuCost, signedPercent } from '../../bench/cpu-cost.js'
import type { RunMeasurement } from '../../bench/results.js'

/** Runs with only what cpuCost reads. */
function runs(cpuUsPerRequest: readonly number[], rps = 1000): RunMeasurement[] {
  return cpuUsPerRequest.map(
    (cpu, index) => ({ round: index + 1, cpuUsPerRequest: cpu, rps }) as RunMeasurement,
  )
}

describe('cpuCost', () => {
  it('is the median of the paired ratios, with two standard errors of it', () => {
    const cost = cpuCost([
      { with: runs([21, 22]), without: runs([20, 20]) },
      { with: runs([30.3]), without: runs([30]) },
    ])
    expect(cost.pairs).toBe(3)
    // Ratios 1.05, 1.10, 1.01: the median is 1.05, each one's distance from it 0 … 0.046 (in logs).
    expect(cost.cost).toBeCloseTo(0.05, 10)
    const center = Math.log(1.05)
    const deviations = [Math.log(1.1) - center, center - Math.log(1.01), 0].sort((a, b) => a - b)
    const sigma = 1.4826 * (deviations[1] as number)
    const margin = Math.exp((2 * Math.sqrt(Math.PI / 2) * sigma) / Math.sqrt(3)) - 1
    expect(cost.margin).toBeCloseTo(margin, 10)
    expect(cost.byPair[0]).toBeCloseTo(Math.sqrt(1.05 * 1.1) - 1, 10)
    expect(cost.byPair[1]).toBeCloseTo(0.01, 10)
    expect(cost.withUs).toBe(22)
    expect(cost.withoutUs).toBe(20)
  })

  it('pairs runs by round and leaves out the warm-up and unpaired or unmeasured runs', () => {
    const warmup = { round: 0, cpuUsPerRequest: 500, rps: 1 } as RunMeasurement
    const cost = cpuCost([
      {
        with: [warmup, ...runs([10, 10, Number.NaN])],
        without: [warmup, ...runs([10, 10])],
      },
    ])
    expect(cost.pairs).toBe(2)
    expect(cost.cost).toBe(0)
    expect(cost.margin).toBeNaN() // two ratios: no spread to speak of
    const three = cpuCost([{ with: runs([10, 10, 10]), without: runs([10, 10, 10]) }])
    expect(three.margin).toBe(0)
  })

  it('says a feature that costs nothing costs nothing, whatever the machine did', () => {
    // Both variants slowed alike in round 2 (another process took the cores).
    const cost = cpuCost([{ with: runs([20, 30, 20]), without: runs([20, 30, 20]) }])
    expect(cost.cost).toBe(0)
    expect(cost.rpsRatio).toBe(1)
  })

  it('is not carried by one process that runs apart from its twins', () => {
    const cost = cpuCost([
      { with: runs([40, 40, 40]), without: runs([20, 20, 20]) },
      { with: runs([20, 20, 20]), without: runs([20, 20, 20]) },
      { with: runs([20.2, 20, 19.8]), without: runs([20, 20, 20]) },
    ])
    expect(cost.cost).toBeCloseTo(0, 10)
    expect(cost.byPair[0]).toBeCloseTo(1, 10)
  })
})

describe('signedPercent', () => {
  it('signs a share, and never writes −0.0%', () => {
    expect(signedPercent(0.004)).toBe('+0.4%')
    expect(signedPercent(-0.013)).toBe('−1.3%')
    expect(signedPercent(-0.0001)).toBe('+0.0%')
    expect(signedPercent(Number.NaN)).toBe('n/a')
  })
})
