import type { RunMeasurement } from './results.js'
import { median } from './stats.js'

/** Two processes, identical but for one feature, measured one right after the other each round. */
export interface ProcessPair {
  with: readonly RunMeasurement[]
  without: readonly RunMeasurement[]
}

export interface CpuCost {
  /** Paired runs (same round, same pair of processes) counted. */
  pairs: number
  /** Medians over every measured run of each variant: µs of server CPU per response. */
  withUs: number
  withoutUs: number
  /**
   * The median over paired runs of with / without, minus 1: the share of CPU per request the
   * feature adds (negative: less than the noise can show).
   */
  cost: number
  /**
   * Two standard errors of `cost`, from the spread of the paired ratios (robust: their MAD);
   * NaN for fewer than 3 paired runs, whose spread says nothing.
   */
  margin: number
  /** Each pair of processes' own median ratio − 1: a process that lands apart shows here. */
  byPair: number[]
  /** The median over paired runs of req/s with / without. */
  rpsRatio: number
}

/**
 * What a feature costs per request, from pairs of processes (one with it, one without) that ran
 * one right after the other in every interleaved round: each such pair of runs shared a moment
 * of the machine, so its ratio of CPU per request cancels what the rest of the machine was doing.
 * The cost is the median of those ratios (a process that runs apart from its twins for a reason
 * of its own, as one in a few does on a busy machine, does not carry it); the margin, two
 * standard errors of that median, from the ratios' median absolute deviation.
 */
export function cpuCost(processPairs: readonly ProcessPair[]): CpuCost {
  const logRatios: number[] = []
  const byPair: number[] = []
  const rpsRatios: number[] = []
  for (const pair of processPairs) {
    const own: number[] = []
    for (const run of pair.with) {
      if (run.round <= 0) continue
      const other = pair.without.find((candidate) => candidate.round === run.round)
      const logRatio = Math.log(run.cpuUsPerRequest / (other?.cpuUsPerRequest ?? Number.NaN))
      if (!Number.isFinite(logRatio)) continue
      own.push(logRatio)
      rpsRatios.push(run.rps / (other?.rps ?? Number.NaN))
    }
    logRatios.push(...own)
    byPair.push(Math.exp(median(own)) - 1)
  }
  const measured = (runs: (pair: ProcessPair) => readonly RunMeasurement[]) =>
    median(
      processPairs.flatMap(runs).flatMap((run) => (run.round > 0 ? [run.cpuUsPerRequest] : [])),
    )
  const center = median(logRatios)
  // A normal spread's σ from the MAD, and the median's standard error (√(π/2)·σ/√n).
  const sigma = 1.4826 * median(logRatios.map((value) => Math.abs(value - center)))
  const standardError = (Math.sqrt(Math.PI / 2) * sigma) / Math.sqrt(logRatios.length)
  return {
    pairs: logRatios.length,
    withUs: measured((pair) => pair.with),
    withoutUs: measured((pair) => pair.without),
    cost: Math.exp(center) - 1,
    // Symmetric enough at these sizes: the log scale's half-width, as a share.
    margin: logRatios.length >= 3 ? Math.exp(2 * standardError) - 1 : Number.NaN,
    byPair,
    rpsRatio: median(rpsRatios),
  }
}

/** A share as a signed percentage: `+0.4%`, `−1.3%`. */
export function signedPercent(share: number): string {
  if (!Number.isFinite(share)) return 'n/a'
  const text = `${Math.abs(share * 100).toFixed(1)}%`
  return share < 0 && text !== '0.0%' ? `−${text}` : `+${text}`
}
