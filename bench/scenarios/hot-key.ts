import { runInterleaved } from '../interleaved-rounds.js'
import type { ScenarioResult } from '../results.js'
import { summarizeTarget } from '../summarize-target.js'
import {
  FULL,
  FULL_L2_ONLY,
  NAIVE,
  NONE,
  prefillReference,
  REF_CONTRACT,
  REF_FASTIFY,
  REF_IOREDIS,
  storedEntry,
  warmProduct,
} from './common-targets.js'
import {
  check,
  percent,
  roundSettings,
  type Scenario,
  targetById,
  times,
  withTargets,
} from './scenario.js'
import { compareThroughput, withClusterTwins } from './topology.js'

const NAME = 'hot-key'
const PRODUCT_ID = 1

/**
 * Every request reads one product. Each target runs next to the reference it is compared with
 * (bare Fastify and the contract's route before full, ioredis before full with L1 off), so each
 * pair shares a moment of the machine.
 */
const ORDER = [REF_FASTIFY, REF_CONTRACT, FULL, REF_IOREDIS, FULL_L2_ONLY, NAIVE, NONE]
/** With --topology cluster, each of these runs on the Redis Cluster too, right after itself. */
const ON_CLUSTER_TOO = [FULL, FULL_L2_ONLY, NAIVE]

export const hotKey: Scenario = {
  name: NAME,
  title: 'Hot key',
  async run(context) {
    const settings = roundSettings(context, {
      rounds: 5,
      durationMs: 3000,
      warmupMs: 1500,
      connections: 50,
    })
    const order = withClusterTwins(context, ORDER, ON_CLUSTER_TOO)
    return withTargets(context, NAME, order, async (running) => {
      for (const target of running.values()) {
        if (target.spec.kind === 'service') await warmProduct(target, PRODUCT_ID)
      }
      const entry = await storedEntry(context.redis, targetById(running, FULL.id), PRODUCT_ID)
      await prefillReference(context.redis, targetById(running, REF_IOREDIS.id), entry, PRODUCT_ID)

      const request = { method: 'GET', path: `/products/${PRODUCT_ID}` } as const
      const measured = await runInterleaved(
        context,
        NAME,
        order.map((spec) => ({ target: targetById(running, spec.id), request })),
        settings,
      )
      const references = {
        bareFastify: measured.get(REF_FASTIFY.id) ?? [],
        ioredis: measured.get(REF_IOREDIS.id) ?? [],
      }
      const targets = order.map((spec) =>
        summarizeTarget(spec, measured.get(spec.id) ?? [], references),
      )
      const full = targets.find((target) => target.id === FULL.id)
      const contract = targets.find((target) => target.id === REF_CONTRACT.id)
      // What the cache itself costs: the L1 hit against a route that pays the same HTTP contract.
      const l1VsContract = (full?.median.rps ?? Number.NaN) / (contract?.median.rps ?? Number.NaN)
      const l2Only = targets.find((target) => target.id === FULL_L2_ONLY.id)
      const l1Ratio = full?.ratios.vsBareFastify ?? Number.NaN
      const l2Ratio = l2Only?.ratios.vsIoredis ?? Number.NaN
      const comparisons = compareThroughput(NAME, targets)

      const result: ScenarioResult = {
        name: NAME,
        title: 'Hot key: one product, read as fast as the machine allows',
        description:
          `${settings.connections} connections read GET /products/${PRODUCT_ID}, already cached. ` +
          'Measures the cost of a cache hit on each tier against the two ceilings, a bare ' +
          'Fastify route (no cache at all) and a minimal Fastify + ioredis GET, and against ' +
          "the bare route plus the service's cache headers and logger (the HTTP contract's price)." +
          (comparisons.length > 0
            ? ` Each of ${ON_CLUSTER_TOO.map((spec) => spec.id).join(', ')} also runs on a Redis ` +
              'Cluster (3 masters, 3 replicas), right after itself on the one Redis in every round.'
            : ''),
        settings: { ...settings, product: PRODUCT_ID, topology: context.options.topology },
        targets,
        checks: [
          check(NAME, {
            title: 'L1 hit vs. the bare Fastify route',
            goal: '≥ 0.90×',
            value: l1Ratio,
            measured: times(l1Ratio),
            met: l1Ratio >= 0.9,
            detail:
              `full strategy, ${Math.round(full?.median.rps ?? 0)} req/s; l1 share of reads ` +
              `${percent(full?.hitRatios.l1)}; by server CPU per request ${times(full?.cpuRatios.vsBareFastify ?? Number.NaN)}; ` +
              `the bare route with only the service's headers and logger is itself ` +
              `${times(contract?.ratios.vsBareFastify ?? Number.NaN)}, and the L1 hit is ${times(l1VsContract)} of that`,
          }),
          check(NAME, {
            title: 'L2 hit (L1 off) vs. the minimal ioredis endpoint',
            goal: '≥ 0.95×',
            value: l2Ratio,
            measured: times(l2Ratio),
            met: l2Ratio >= 0.95,
            detail:
              `full strategy with L1_MAX_ITEMS=0, ${Math.round(l2Only?.median.rps ?? 0)} req/s; l2 ` +
              `share of reads ${percent(l2Only?.hitRatios.l2)}; by server CPU per request ${times(l2Only?.cpuRatios.vsIoredis ?? Number.NaN)}`,
          }),
        ],
        comparisons,
        notes: [],
      }
      return result
    })
  },
}
