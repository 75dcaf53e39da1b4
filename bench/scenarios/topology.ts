import type { BenchContext } from '../context.js'
import { formatCount, formatMs } from '../report/format.js'
import type { TargetResult, TopologyComparison } from '../results.js'
import { ratio } from '../stats.js'
import { pairedCpuRatio, pairedRatio } from '../summarize-target.js'
import type { TargetSpec } from '../targets.js'

const CLUSTER_ID_SUFFIX = '-cluster'

/** The same target on the run's Redis Cluster: `full` → `full-cluster`. */
export function onCluster(spec: TargetSpec): TargetSpec {
  return {
    ...spec,
    id: `${spec.id}${CLUSTER_ID_SUFFIX}`,
    label: `${spec.label}, on Redis Cluster`,
    redisTopology: 'cluster',
  }
}

/**
 * `order` itself without --topology cluster; with it, each of `twinned` followed by its twin on
 * the cluster: the two run one after the other in every round (and the interleaving reverses the
 * whole order every other round), so each pair shares a moment of the machine.
 */
export function withClusterTwins(
  context: BenchContext,
  order: readonly TargetSpec[],
  twinned: readonly TargetSpec[],
): TargetSpec[] {
  if (context.options.topology !== 'cluster') return [...order]
  const ids = new Set(twinned.map((spec) => spec.id))
  return order.flatMap((spec) => (ids.has(spec.id) ? [spec, onCluster(spec)] : [spec]))
}

/** Each target with a twin on the cluster, and the twin. */
function clusterPairs(targets: readonly TargetResult[]) {
  const byId = new Map(targets.map((target) => [target.id, target]))
  return targets.flatMap((standalone) => {
    const cluster = byId.get(`${standalone.id}${CLUSTER_ID_SUFFIX}`)
    return cluster ? [{ standalone, cluster }] : []
  })
}

/**
 * Req/s on the cluster against the one Redis, for every twinned target: the median of the
 * per-round ratios, and the same by CPU per request. Also sets the twin's `ratios.vsStandalone`
 * and `cpuRatios.vsStandalone`, for the report's tables.
 */
export function compareThroughput(
  scenario: string,
  targets: readonly TargetResult[],
): TopologyComparison[] {
  return clusterPairs(targets).map(({ standalone, cluster }) => {
    const rpsRatio = pairedRatio(cluster.rounds, standalone.rounds)
    const cpuRatio = pairedCpuRatio(cluster.rounds, standalone.rounds)
    cluster.ratios.vsStandalone = rpsRatio
    cluster.cpuRatios.vsStandalone = cpuRatio
    const both = (value: (target: TargetResult) => number, format: (v: number) => string) =>
      `${format(value(standalone))} vs. ${format(value(cluster))}`
    return {
      scenario,
      targetId: standalone.id,
      label: standalone.label,
      metric: 'req/s',
      standalone: standalone.median.rps,
      cluster: cluster.median.rps,
      ratio: rpsRatio,
      cpuRatio,
      detail:
        `one Redis vs. cluster: p99 ${both((t) => t.median.p99, formatMs)} ms, CPU ` +
        `${both((t) => t.median.cpuUsPerRequest, formatCount)} µs/request, ` +
        `${both((t) => t.errors, formatCount)} errors, ${cluster.rounds.length} paired rounds`,
    }
  })
}

/**
 * Database loads per stampede (median over rounds) on the cluster against the one Redis, for
 * every twinned target of the stampede; the ratio is of the two medians.
 */
export function compareStampedeLoads(
  scenario: string,
  targets: readonly TargetResult[],
): TopologyComparison[] {
  return clusterPairs(targets).map(({ standalone, cluster }) => {
    const loads = (target: TargetResult) => target.extra.loadsPerRoundMedian ?? Number.NaN
    const perRound = (target: TargetResult) =>
      target.rounds.map((run) => run.databaseLoads).join(', ')
    return {
      scenario,
      targetId: standalone.id,
      label: standalone.label,
      metric: 'DB loads per stampede',
      standalone: loads(standalone),
      cluster: loads(cluster),
      ratio: ratio(loads(cluster), loads(standalone)),
      detail:
        `loads per round: one Redis ${perRound(standalone)}; cluster ${perRound(cluster)}. ` +
        `p99 ${formatMs(standalone.median.p99)} vs. ${formatMs(cluster.median.p99)} ms, ` +
        `Redis errors ${standalone.counters.redisErrors} vs. ${cluster.counters.redisErrors}`,
    }
  })
}
