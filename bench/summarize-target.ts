import { addCounters, hitRatios, ZERO_COUNTERS } from './cache-counters.js'
import type { RunMeasurement, TargetResult } from './results.js'
import { median, perThousand, ratio } from './stats.js'
import type { TargetSpec } from './targets.js'

export interface References {
  bareFastify?: readonly RunMeasurement[]
  ioredis?: readonly RunMeasurement[]
}

/**
 * Medians over the rounds (req/s and each latency percentile on its own), totals of requests,
 * errors and database loads, hit ratios from the summed counters, and throughput ratios against
 * the references, paired round by round.
 */
export function summarizeTarget(
  spec: TargetSpec,
  runs: readonly RunMeasurement[],
  references: References = {},
  extra: Record<string, number> = {},
): TargetResult {
  const rounds = runs.filter((run) => run.round > 0)
  const warmup = runs.find((run) => run.round === 0)
  const pick = (field: (run: RunMeasurement) => number) => median(rounds.map(field))
  const counters = rounds.map((run) => run.counters).reduce(addCounters, ZERO_COUNTERS)
  const requests = sum(rounds.map((run) => run.requests))
  const databaseLoads = sum(rounds.map((run) => run.databaseLoads))
  const ratios: TargetResult['ratios'] = {}
  if (references.bareFastify) ratios.vsBareFastify = pairedRatio(rounds, references.bareFastify)
  if (references.ioredis) ratios.vsIoredis = pairedRatio(rounds, references.ioredis)
  const cpuRatios: TargetResult['cpuRatios'] = {}
  if (references.bareFastify)
    cpuRatios.vsBareFastify = pairedCpuRatio(rounds, references.bareFastify)
  if (references.ioredis) cpuRatios.vsIoredis = pairedCpuRatio(rounds, references.ioredis)
  return {
    id: spec.id,
    label: spec.label,
    kind: spec.kind,
    strategy: spec.strategy,
    instances: spec.kind === 'service' ? (spec.instances ?? 1) : 1,
    env: spec.env ?? {},
    rounds: [...rounds],
    warmup,
    median: {
      rps: pick((run) => run.rps),
      p50: pick((run) => run.latency.p50),
      p90: pick((run) => run.latency.p90),
      p99: pick((run) => run.latency.p99),
      p999: pick((run) => run.latency.p999),
      max: pick((run) => run.latency.max),
      cpuUsPerRequest: pick((run) => run.cpuUsPerRequest),
    },
    requests,
    errors: sum(rounds.map((run) => run.errors)),
    databaseLoads,
    loadsPer1000: perThousand(databaseLoads, requests),
    counters,
    hitRatios: hitRatios(counters),
    ratios,
    cpuRatios,
    extra,
  }
}

/** The median over rounds of a.rps / b.rps, pairing runs of the same round. */
export function pairedRatio(
  runs: readonly RunMeasurement[],
  references: readonly RunMeasurement[],
): number {
  const byRound = new Map(references.map((run) => [run.round, run.rps]))
  // Round 0 is a warm-up: never a pair.
  return median(runs.map((run) => ratio(run.rps, byRound.get(run.round) ?? Number.NaN)))
}

/** The median over rounds of the reference's CPU per request / this target's, paired by round. */
export function pairedCpuRatio(
  runs: readonly RunMeasurement[],
  references: readonly RunMeasurement[],
): number {
  const byRound = new Map(references.map((run) => [run.round, run.cpuUsPerRequest]))
  return median(runs.map((run) => ratio(byRound.get(run.round) ?? Number.NaN, run.cpuUsPerRequest)))
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
