import { combineFigures, scrapeServiceFigures } from '../batch/db-queries.js'
import {
  cpuUsPerProduct,
  pairedWayRatio,
  productsOf,
  productsPerSecond,
  redisErrorsOf,
  type WayRun,
  wayFigures,
} from '../batch/figures.js'
import { measureAmount } from '../batch/fixed-amount.js'
import { BATCH_SIZE, batchReads, distinctIds, singleReads, zipfBatches } from '../batch/ids.js'
import { bumpKeyVersion, expectWholeBatch, prefillAll } from '../batch/service-calls.js'
import type { BenchContext } from '../context.js'
import type { RoundSettings } from '../interleaved-rounds.js'
import type { RequestShape } from '../load-types.js'
import { measureRun } from '../measure-run.js'
import { formatCount, formatPerThousand } from '../report/format.js'
import type { RunMeasurement, ScenarioResult, TargetResult } from '../results.js'
import { median } from '../stats.js'
import { summarizeTarget } from '../summarize-target.js'
import type { RunningTarget, TargetSpec } from '../targets.js'
import { FULL } from './common-targets.js'
import { check, roundSettings, type Scenario, targetById, times, withTargets } from './scenario.js'
import { ZIPF_S } from './zipf.js'

const NAME = 'batch'
/** The issue's goal: a client reading products in batches gets ≥ 10× the products per second. */
const GOAL = 10
/** Batches per cold run (each way reads the same ones: × BATCH_SIZE single requests). */
const COLD_BATCHES = { full: 400, quick: 40 }
/** Seeds of the id sequences: a new sequence each round, the same for both ways of a round. */
const COLD_SEED = 1_000
const WARM_SEED = 2_000

interface Way {
  spec: TargetSpec
  idsPerRequest: number
  reads(next: () => number[]): () => RequestShape
}

/** Two processes of the full strategy, one per way of reading, each with a cache of its own. */
const BATCH: Way = {
  spec: { ...FULL, id: 'batch', label: `${BATCH_SIZE}-id batches (GET /products?ids=)` },
  idsPerRequest: BATCH_SIZE,
  reads: batchReads,
}
const SINGLE: Way = {
  spec: { ...FULL, id: 'single', label: 'one request per product (GET /products/:id)' },
  idsPerRequest: 1,
  reads: singleReads,
}
const WAYS = [BATCH, SINGLE]

type Phase = 'cold' | 'warm'

/**
 * A client that needs 50 products, drawn from Zipf(s = 1) over the catalog, reads them in one
 * batch request or in 50 requests over keep-alive connections; both ways read the same ids.
 * Cold: each run starts from an empty cache (a key version bump) and reads the same fixed
 * amount of products both ways. Warm: every product cached first, then fixed-time runs.
 * Products per second are paired round by round against the single requests; database queries
 * come from each service's db_query_duration_seconds_count.
 */
export const batch: Scenario = {
  name: NAME,
  title: 'Batch reads',
  async run(context) {
    const quick = context.options.quick
    const settings = roundSettings(
      context,
      { rounds: 5, durationMs: 3000, warmupMs: 1000, connections: 50 },
      { durationMs: 500, warmupMs: 200 },
    )
    const coldBatches = quick ? COLD_BATCHES.quick : COLD_BATCHES.full
    return withTargets(
      context,
      NAME,
      WAYS.map((way) => way.spec),
      async (running) => {
        const targetOf = (way: Way) => targetById(running, way.spec.id)
        const firstBatch = zipfBatches(context.products, ZIPF_S, COLD_SEED)()
        for (const way of WAYS) await expectWholeBatch(targetOf(way), firstBatch)

        context.progress.log(
          `${NAME}: cold: ${coldBatches} batches of ${BATCH_SIZE} ids per run, from an empty cache`,
        )
        const cold = await interleave(settings, !quick, targetOf, async (way, round) => {
          const target = targetOf(way)
          await bumpKeyVersion(target, context.adminToken)
          const next = zipfBatches(context.products, ZIPF_S, COLD_SEED + round)
          return measureAmount(
            context,
            target,
            {
              connections: settings.connections,
              amount: coldBatches * (BATCH_SIZE / way.idsPerRequest),
              request: way.reads(next),
            },
            round,
            label('cold', way, round, settings.rounds),
          )
        })

        context.progress.log(`${NAME}: warm: reading all ${context.products} products into each`)
        for (const way of WAYS) await prefillAll(targetOf(way), context.products)
        const warm = await interleave(settings, settings.warmupMs > 0, targetOf, (way, round) => {
          const next = zipfBatches(context.products, ZIPF_S, WARM_SEED + round)
          return measureRun(
            context,
            targetOf(way),
            {
              connections: settings.connections,
              durationMs: round === 0 ? settings.warmupMs : settings.durationMs,
              request: way.reads(next),
            },
            round,
            label('warm', way, round, settings.rounds),
          )
        })

        const coldDistinct = Array.from({ length: settings.rounds }, (_, index) =>
          distinctIds(zipfBatches(context.products, ZIPF_S, COLD_SEED + index + 1), coldBatches),
        )
        return batchResult(context, settings, { cold, warm, coldBatches, coldDistinct })
      },
    )
  },
}

const label = (phase: Phase, way: Way, round: number, rounds: number) =>
  `${NAME} · ${phase} · ${way.spec.label} · ${round === 0 ? 'warm-up' : `round ${round}/${rounds}`}`

/**
 * Each way once per round, the order reversed every other round (as runInterleaved does), after
 * one unmeasured run each (round 0) if `warmup`; the service's product queries around each run.
 */
async function interleave(
  settings: RoundSettings,
  warmup: boolean,
  targetOf: (way: Way) => RunningTarget,
  measure: (way: Way, round: number) => Promise<RunMeasurement>,
): Promise<Map<string, WayRun[]>> {
  const runs = new Map<string, WayRun[]>(WAYS.map((way) => [way.spec.id, []]))
  for (let round = warmup ? 0 : 1; round <= settings.rounds; round++) {
    for (const way of round % 2 === 1 || round === 0 ? WAYS : [...WAYS].reverse()) {
      const target = targetOf(way)
      const before = await scrapeServiceFigures(target)
      const run = await measure(way, round)
      const { queries, redisErrors } = combineFigures(
        await scrapeServiceFigures(target),
        before,
        -1,
      )
      runs.get(way.spec.id)?.push({
        run,
        queries,
        redisErrors,
        products: productsOf(run, way.idsPerRequest),
      })
    }
  }
  return runs
}

function batchResult(
  context: BenchContext,
  settings: RoundSettings,
  measured: {
    cold: Map<string, WayRun[]>
    warm: Map<string, WayRun[]>
    coldBatches: number
    coldDistinct: number[]
  },
): ScenarioResult {
  const runsOf = (phase: Phase, way: Way) => measured[phase].get(way.spec.id) ?? []
  const figures = (phase: Phase, way: Way) => wayFigures(runsOf(phase, way))
  const summarize = (phase: Phase, way: Way): TargetResult => {
    const own: Record<string, number> = { ...figures(phase, way) }
    const vs: Record<string, number> =
      way === BATCH
        ? {
            productsVsSingle: pairedWayRatio(
              runsOf(phase, BATCH),
              runsOf(phase, SINGLE),
              productsPerSecond,
            ),
            cpuPerProductVsSingle: pairedWayRatio(
              runsOf(phase, SINGLE),
              runsOf(phase, BATCH),
              cpuUsPerProduct,
            ),
          }
        : {}
    return summarizeTarget(
      {
        ...way.spec,
        id: `${way.spec.id}-${phase}`,
        label: `${way.spec.label}, ${phase === 'cold' ? 'from an empty cache' : 'all cached'}`,
      },
      runsOf(phase, way).map(({ run }) => run),
      {},
      {
        ...own,
        ...vs,
        ...(phase === 'cold' ? { distinctIdsPerRun: median(measured.coldDistinct) } : {}),
      },
    )
  }
  const targets = (['cold', 'warm'] as const).flatMap((phase) =>
    WAYS.map((way) => summarize(phase, way)),
  )
  const byId = (id: string) => targets.find((target) => target.id === id)
  const notes: string[] = []
  for (const phase of ['cold', 'warm'] as const) {
    for (const way of WAYS) {
      const errors = Object.entries(redisErrorsOf(runsOf(phase, way)))
      if (errors.length === 0) continue
      const total = errors.reduce((sum, [, count]) => sum + count, 0)
      notes.push(
        `${way.spec.label}, ${phase}: ${total} Redis calls failed or timed out over the ` +
          `measured rounds (cache_errors_total: ${errors
            .map(([operation, count]) => `${operation} ${count}`)
            .join(', ')}).`,
      )
    }
  }
  const coldProducts = measured.coldBatches * BATCH_SIZE

  return {
    name: NAME,
    title: `Batch reads: GET /products?ids= (${BATCH_SIZE} ids) against one request per product`,
    description:
      `A client needs ${BATCH_SIZE} distinct products drawn from Zipf(s = ${ZIPF_S}) over ` +
      `${context.products.toLocaleString('en-US')} products, and reads them in one ` +
      `GET /products?ids= or in ${BATCH_SIZE} GET /products/:id, over ${settings.connections} ` +
      'keep-alive connections either way; both ways read the same sequence of ids, each in a ' +
      'service process of its own (strategy full). Cold: each run starts from an empty cache ' +
      `(POST /cache/version) and reads the same ${measured.coldBatches} batches ` +
      `(${coldProducts.toLocaleString('en-US')} products) both ways. Warm: every product ` +
      `cached first, then ${settings.durationMs / 1000} s runs. Products per second and CPU ` +
      'per product are paired round by round against the single requests; database queries ' +
      'are the difference of db_query_duration_seconds_count (find_product, find_products) on ' +
      "each service's /metrics. In the table, a request of the batch target is a batch.",
    settings: {
      rounds: settings.rounds,
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
      connections: settings.connections,
      batchSize: BATCH_SIZE,
      zipfS: ZIPF_S,
      products: context.products,
      coldBatchesPerRun: measured.coldBatches,
    },
    targets,
    checks: [
      throughputCheck('all cached', byId('batch-warm'), byId('single-warm')),
      throughputCheck('from an empty cache', byId('batch-cold'), byId('single-cold')),
      queriesCheck(byId('batch-cold'), byId('single-cold')),
    ],
    notes,
  }
}

const extraOf = (target: TargetResult | undefined, field: string) =>
  target?.extra[field] ?? Number.NaN

function throughputCheck(
  what: string,
  batchTarget: TargetResult | undefined,
  singleTarget: TargetResult | undefined,
) {
  const value = extraOf(batchTarget, 'productsVsSingle')
  return check(NAME, {
    title: `Batch reads, ${what}: products/s vs one request per product`,
    goal: `≥ ${GOAL}×`,
    value,
    measured:
      `${times(value)} (${formatCount(extraOf(batchTarget, 'productsPerSecond'))} vs ` +
      `${formatCount(extraOf(singleTarget, 'productsPerSecond'))} products/s)`,
    met: value >= GOAL,
    detail:
      `by CPU per product ${times(extraOf(batchTarget, 'cpuPerProductVsSingle'))}; ` +
      `database queries per 1,000 products ` +
      `${formatPerThousand(extraOf(batchTarget, 'queriesPer1000Products'))} vs ` +
      `${formatPerThousand(extraOf(singleTarget, 'queriesPer1000Products'))}; ` +
      `medians of ${batchTarget?.rounds.length ?? 0} rounds`,
  })
}

function queriesCheck(
  batchTarget: TargetResult | undefined,
  singleTarget: TargetResult | undefined,
) {
  const value = extraOf(batchTarget, 'queriesPer1000Products')
  const most = 1000 / BATCH_SIZE
  return check(NAME, {
    title: 'Batch reads from an empty cache: database queries per 1,000 products',
    goal: `≤ ${most} (one per ${BATCH_SIZE}-id batch at most)`,
    value,
    measured:
      `${formatPerThousand(value)} vs ` +
      `${formatPerThousand(extraOf(singleTarget, 'queriesPer1000Products'))} one request per product`,
    met: value <= most,
    detail:
      `batches: ${extraOf(batchTarget, 'findProductsQueries')} find_products and ` +
      `${extraOf(batchTarget, 'findProductQueries')} find_product queries for ` +
      `${formatCount(extraOf(batchTarget, 'products'))} products; single: ` +
      `${extraOf(singleTarget, 'findProductQueries')} find_product for ` +
      `${formatCount(extraOf(singleTarget, 'products'))} ` +
      `(${formatCount(extraOf(batchTarget, 'distinctIdsPerRun'))} distinct ids per run)`,
  })
}
