import { measureRun } from '../measure-run.js'
import type { RunMeasurement, ScenarioResult, TargetResult } from '../results.js'
import { median } from '../stats.js'
import { summarizeTarget } from '../summarize-target.js'
import type { TargetSpec } from '../targets.js'
import { FULL, NAIVE, NONE, withEnv } from './common-targets.js'
import { check, roundSettings, type Scenario, targetById, withTargets } from './scenario.js'
import { compareStampedeLoads, onCluster, withClusterTwins } from './topology.js'

const NAME = 'stampede'
const INSTANCES = 3
const REQUESTS = 900
const DB_LATENCY_MS = 100
/** A fresh, cold product per round: the round number is added to this. */
const FIRST_PRODUCT = 9000

/** The target as 3 processes sharing a key prefix, on a database that answers 100 ms late. */
const spread = (spec: TargetSpec) =>
  withEnv({ ...spec, instances: INSTANCES }, { DB_EXTRA_LATENCY_MS: String(DB_LATENCY_MS) })
const ORDER = [spread(FULL), spread(NAIVE), spread(NONE)]
/** With --topology cluster, these run on the Redis Cluster too, each right after itself. */
const ON_CLUSTER_TOO = [spread(FULL), spread(NAIVE)]
const FULL_ON_CLUSTER = onCluster(spread(FULL))
const NAIVE_ON_CLUSTER = onCluster(spread(NAIVE))

/**
 * 900 requests for one cold product at once, 300 on each of 3 service processes sharing one
 * Redis prefix, against a database that answers 100 ms late. Each round asks for a product no
 * round asked for before, so every round starts cold. A full run has one unmeasured round
 * first (JIT).
 */
export const stampede: Scenario = {
  name: NAME,
  title: 'Cold-key stampede',
  async run(context) {
    // warmupMs > 0: one unmeasured stampede first (on another product), for the JIT.
    const { rounds, warmupMs } = roundSettings(
      context,
      { rounds: 5, durationMs: 0, warmupMs: 1, connections: REQUESTS },
      { rounds: 1, warmupMs: 0 },
    )
    const specs = withClusterTwins(context, ORDER, ON_CLUSTER_TOO)
    return withTargets(context, NAME, specs, async (running) => {
      const measured = new Map<string, RunMeasurement[]>(specs.map((spec) => [spec.id, []]))
      for (let round = warmupMs > 0 ? 0 : 1; round <= rounds; round++) {
        const order = round % 2 === 1 ? specs : [...specs].reverse()
        for (const spec of order) {
          const label = `${NAME} · ${spec.label} ×${INSTANCES} · ${round === 0 ? 'warm-up' : `round ${round}/${rounds}`}`
          const run = await measureRun(
            context,
            targetById(running, spec.id),
            {
              connections: REQUESTS,
              durationMs: 0,
              burst: true,
              request: { method: 'GET', path: `/products/${FIRST_PRODUCT + round}` },
            },
            round,
            label,
          )
          if (round > 0) measured.get(spec.id)?.push(run)
        }
      }

      const targets = specs.map((spec) => {
        const runs = measured.get(spec.id) ?? []
        const loads = runs.map((run) => run.databaseLoads)
        return summarizeTarget(
          spec,
          runs,
          {},
          {
            loadsPerRoundMedian: median(loads),
            loadsPerRoundMin: Math.min(...loads),
            loadsPerRoundMax: Math.max(...loads),
            coalescedPerRoundMedian: median(runs.map((run) => run.counters.coalesced)),
            redisErrorsPerRoundMax: Math.max(...runs.map((run) => run.counters.redisErrors)),
            loadsPerRequest: median(
              runs.map((run) => run.databaseLoads / Math.max(1, run.requests)),
            ),
          },
        )
      })
      const full = targets.find((target) => target.id === FULL.id)
      const naive = targets.find((target) => target.id === NAIVE.id)
      const fullOnCluster = targets.find((target) => target.id === FULL_ON_CLUSTER.id)
      const naivePerRequest = naive?.extra.loadsPerRequest ?? Number.NaN
      const comparisons = compareStampedeLoads(NAME, targets)

      const result: ScenarioResult = {
        name: NAME,
        title: `Cold-key stampede: ${REQUESTS} concurrent requests over ${INSTANCES} instances`,
        description:
          `${REQUESTS} connections each send one GET for the same cold product, spread over ` +
          `${INSTANCES} service processes that share a Redis prefix; the database answers ` +
          `${DB_LATENCY_MS} ms late (DB_EXTRA_LATENCY_MS). Database loads are summed over the ` +
          `${INSTANCES} processes, per round.` +
          (comparisons.length > 0
            ? ' Full and naive also run on a Redis Cluster (3 masters, 3 replicas), each right ' +
              'after itself on the one Redis in every round.'
            : ''),
        settings: {
          topology: context.options.topology,
          rounds,
          instances: INSTANCES,
          requests: REQUESTS,
          dbExtraLatencyMs: DB_LATENCY_MS,
        },
        targets,
        checks: [
          oneLoadPerRound('Stampede: database loads for the whole cluster', full, naive),
          ...(fullOnCluster
            ? [
                oneLoadPerRound(
                  `Stampede on Redis Cluster: database loads for the ${INSTANCES} processes`,
                  fullOnCluster,
                  targets.find((target) => target.id === NAIVE_ON_CLUSTER.id),
                ),
              ]
            : []),
          check(NAME, {
            title: 'Stampede, naive: one load per request',
            goal: '≈ 1 load per request (≥ 0.9)',
            value: naivePerRequest,
            measured: `${naivePerRequest.toFixed(3)} per request`,
            met: naivePerRequest >= 0.9,
            detail: `naive: median ${naive?.extra.loadsPerRoundMedian} loads for ${REQUESTS} requests`,
          }),
        ],
        comparisons,
        notes: [],
      }
      return result
    })
  },
}

/** The full strategy's check: one database load per stampede, in every round. */
function oneLoadPerRound(
  title: string,
  full: TargetResult | undefined,
  naive: TargetResult | undefined,
) {
  const max = full?.extra.loadsPerRoundMax ?? Number.NaN
  const min = full?.extra.loadsPerRoundMin ?? Number.NaN
  return check(NAME, {
    title,
    goal: 'exactly 1 per round',
    value: max,
    measured: min === max ? `${max} in every round` : `${min} to ${max}`,
    met: min === 1 && max === 1,
    detail:
      `full: loads per round ${perRound(full, (run) => run.databaseLoads)} with ` +
      `${perRound(full, (run) => run.counters.redisErrors)} Redis calls failed or timed out; ` +
      `naive: ${perRound(naive, (run) => run.databaseLoads)}`,
  })
}

function perRound(
  target: TargetResult | undefined,
  value: (run: RunMeasurement) => number,
): string {
  return target ? target.rounds.map(value).join(', ') : 'n/a'
}
