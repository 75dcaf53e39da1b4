import {
  consistencyFigures,
  productConsistencyCounters,
  subtractConsistency,
  ZERO_CONSISTENCY,
} from '../consistency-counters.js'
import { cpuCost, signedPercent } from '../cpu-cost.js'
import { measuredRounds, runInterleaved } from '../interleaved-rounds.js'
import { formatCount } from '../report/format.js'
import type { ScenarioResult } from '../results.js'
import { summarizeTarget } from '../summarize-target.js'
import type { TargetSpec } from '../targets.js'
import { FULL, warmProduct, withEnv } from './common-targets.js'
import {
  check,
  percent,
  roundSettings,
  type Scenario,
  targetById,
  withTargets,
} from './scenario.js'

const NAME = 'consistency-cost'
const PRODUCT_ID = 1
/** The cost the monitor may add to an L1 hit (issue 12). */
const GOAL = 0.02

/** The full strategy as it ships: the consistency monitor at its defaults. */
const MONITOR_ON: TargetSpec = {
  ...FULL,
  id: 'full-monitor',
  label: 'full, consistency monitor at its defaults',
}
/** The same service with both of the monitor's kinds of check turned off. */
const MONITOR_OFF: TargetSpec = withEnv(
  { ...FULL, id: 'full-no-monitor', label: 'full, consistency monitor off' },
  { CONSISTENCY_CHECK_DELAYS_MS: 'none', CONSISTENCY_SAMPLE_PER_SEC: '0' },
)
/** Pairs of processes (one on, one off): a process that lands apart weighs a third. */
const PAIRS = 3
const copy = (spec: TargetSpec, index: number): TargetSpec =>
  index === 0
    ? spec
    : { ...spec, id: `${spec.id}-${index + 1}`, label: `${spec.label} (${index + 1})` }

/**
 * What the consistency monitor costs the hottest path: the hot key's L1 hit, with the monitor
 * at its defaults (each hit asks it whether to sample: a budget check; 2 answers a second
 * compared with the database off the request path) against the same service with it off.
 */
export const consistencyCost: Scenario = {
  name: NAME,
  title: 'Consistency monitor: its cost on an L1 hit',
  async run(context) {
    const settings = roundSettings(
      context,
      { rounds: 5, durationMs: 2000, warmupMs: 2000, connections: 50 },
      { warmupMs: 1000 },
    )
    // --quick checks the harness, not the figure: one pair (six processes take a while to start).
    const pairs = context.options.quick ? 1 : PAIRS
    const on = Array.from({ length: pairs }, (_, index) => copy(MONITOR_ON, index))
    const off = Array.from({ length: pairs }, (_, index) => copy(MONITOR_OFF, index))
    // On and off alternate (on, off, on, off…): each "on" process runs right beside its "off"
    // twin in every round (the interleaving reverses the order every other round, so neither
    // variant always runs first), and each such pair of runs shares a moment of the machine.
    const order = on.flatMap((spec, index) => [spec, off[index] as TargetSpec])
    return withTargets(context, NAME, order, async (running) => {
      for (const target of running.values()) await warmProduct(target, PRODUCT_ID)
      const countersNow = async () =>
        new Map(
          await Promise.all(
            order.map(async (spec) => {
              const samples = await targetById(running, spec.id).samples()
              return [spec.id, productConsistencyCounters(samples)] as const
            }),
          ),
        )
      const before = await countersNow()

      const request = { method: 'GET', path: `/products/${PRODUCT_ID}` } as const
      const measured = await runInterleaved(
        context,
        NAME,
        order.map((spec) => ({ target: targetById(running, spec.id), request })),
        settings,
      )
      const after = await countersNow()
      const consistency = order.map((spec) =>
        consistencyFigures(
          spec,
          subtractConsistency(
            after.get(spec.id) ?? ZERO_CONSISTENCY,
            before.get(spec.id) ?? ZERO_CONSISTENCY,
          ),
        ),
      )
      const targets = order.map((spec) => summarizeTarget(spec, measured.get(spec.id) ?? []))
      const cost = cpuCost(
        on.map((spec, index) => ({
          with: measuredRounds(measured.get(spec.id)),
          without: measuredRounds(measured.get(off[index]?.id ?? '')),
        })),
      )
      const us = (value: number) => value.toFixed(1)
      const checksOf = (specs: readonly TargetSpec[], field: 'sampleChecks' | 'checks') =>
        consistency
          .filter((figures) => specs.some((spec) => spec.id === figures.targetId))
          .reduce(
            (total, figures) =>
              total + (field === 'checks' ? figures.checks : figures.counters.sampleChecks),
            0,
          )
      const samples = checksOf(on, 'sampleChecks')
      const offChecks = checksOf(off, 'checks')
      const l1Share = targets[0]?.hitRatios.l1
      const measuredCost =
        `${us(cost.withUs)} vs. ${us(cost.withoutUs)} µs of server CPU per request: ` +
        `${signedPercent(cost.cost)} ± ${percent(cost.margin)}`
      context.progress.log(`${NAME}: ${measuredCost}`)

      const result: ScenarioResult = {
        name: NAME,
        title: 'Consistency monitor: what it costs an L1 hit',
        description:
          `${settings.connections} connections read GET /products/${PRODUCT_ID}, already in ` +
          'L1, from the full strategy with its consistency monitor at its defaults (every hit ' +
          'asks it whether to sample; 2 answers a second compared with the database off the ' +
          'request path) and from the same service with CONSISTENCY_CHECK_DELAYS_MS=none and ' +
          `CONSISTENCY_SAMPLE_PER_SEC=0. ${pairs} pair(s) of processes, on and off, each ` +
          'pair run one right after the other in every round: the cost is the median over ' +
          'those paired runs of CPU per request on / off, ± two standard errors.',
        settings: { ...settings, product: PRODUCT_ID, goal: `< ${GOAL * 100}% CPU per request` },
        targets,
        checks: [
          check(NAME, {
            title: 'Consistency monitor: CPU per L1 hit, on vs. off',
            goal: `< ${GOAL * 100}%`,
            value: cost.cost,
            measured: `${signedPercent(cost.cost)} ± ${percent(cost.margin)}`,
            met: cost.cost < GOAL,
            detail:
              `${measuredCost} (medians of the runs; the cost and its margin of two standard ` +
              `errors from ${cost.pairs} paired runs); each pair of processes alone: ` +
              `${cost.byPair.map(signedPercent).join(', ')}; req/s on / off ` +
              `${cost.rpsRatio.toFixed(3)}×; l1 share of reads ` +
              `${percent(l1Share)}; the monitors compared ${formatCount(samples)} cache answers ` +
              `with the database (${formatCount(offChecks)} checks with it off)` +
              (Number.isNaN(cost.margin)
                ? '; too few paired runs to tell the noise (a --quick run checks the harness only)'
                : cost.margin >= GOAL
                  ? `; the noise (± ${percent(cost.margin)}) is wider than the goal: more ` +
                    '--rounds, or a quieter machine, narrow it'
                  : ''),
          }),
        ],
        consistency,
        notes: [],
      }
      return result
    })
  },
}
