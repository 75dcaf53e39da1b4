import { subtractCounters } from '../cache-counters.js'
import type { BenchContext } from '../context.js'
import { runInterleaved } from '../interleaved-rounds.js'
import type { RequestShape } from '../load-driver.js'
import type { ScenarioResult } from '../results.js'
import { summarizeTarget } from '../summarize-target.js'
import type { RunningTarget, TargetSpec } from '../targets.js'
import { createZipfSampler, seededRandom } from '../zipf.js'
import {
  FULL,
  NAIVE,
  NONE,
  prefillReference,
  REF_FASTIFY,
  REF_IOREDIS,
  storedEntry,
} from './common-targets.js'
import { check, roundSettings, type Scenario, targetById, times, withTargets } from './scenario.js'

const NAME = 'zipf'
export const ZIPF_S = 1.0

const ORDER = [REF_FASTIFY, FULL, REF_IOREDIS, NAIVE, NONE]

/**
 * Reads of product ids drawn from Zipf(s = 1) over every product: a few hot ids, a long tail.
 * The cache can do no better than one database load per distinct id requested; the target
 * allows 1% more, counted over the whole scenario (warm-up included) against the distinct ids
 * the load generator sent.
 */
export const zipf: Scenario = {
  name: NAME,
  title: 'Zipf reads',
  async run(context) {
    const settings = roundSettings(context, {
      rounds: 5,
      durationMs: 3000,
      warmupMs: 2000,
      connections: 50,
    })
    return withTargets(context, NAME, ORDER, async (running) => {
      const entry = await storedEntry(context.redis, targetById(running, FULL.id), 1)
      const reference = targetById(running, REF_IOREDIS.id)
      await prefillReference(context.redis, reference, entry, context.products)

      const requested = new Map(ORDER.map((spec) => [spec.id, new Set<number>()]))
      const before = await countersOf(running)
      const measured = await runInterleaved(
        context,
        NAME,
        ORDER.map((spec) => ({
          target: targetById(running, spec.id),
          request: zipfReads(context, requested.get(spec.id) ?? new Set()),
        })),
        settings,
      )
      const after = await countersOf(running)

      const references = {
        bareFastify: measured.get(REF_FASTIFY.id) ?? [],
        ioredis: measured.get(REF_IOREDIS.id) ?? [],
      }
      const targets = ORDER.map((spec) => {
        const distinct = requested.get(spec.id)?.size ?? 0
        const loads = scenarioLoads(spec, before.get(spec.id), after.get(spec.id))
        return summarizeTarget(spec, measured.get(spec.id) ?? [], references, {
          distinctKeys: distinct,
          scenarioLoads: loads,
          loadsPerDistinctKey: distinct > 0 ? loads / distinct : Number.NaN,
        })
      })
      const full = targets.find((target) => target.id === FULL.id)
      const naive = targets.find((target) => target.id === NAIVE.id)
      const fullRatio = full?.extra.loadsPerDistinctKey ?? Number.NaN
      const naiveRatio = naive?.extra.loadsPerDistinctKey ?? Number.NaN

      const result: ScenarioResult = {
        name: NAME,
        title: `Zipf(s = ${ZIPF_S}) reads over ${context.products.toLocaleString('en-US')} products`,
        description:
          `${settings.connections} connections read ids drawn from Zipf(s = ${ZIPF_S}) ` +
          `over ${context.products} products, starting from a cold cache. Database loads are ` +
          'counted over the whole scenario (warm-up included) and set against the distinct ids ' +
          'requested: the least any cache can load.',
        settings: { ...settings, zipfS: ZIPF_S, products: context.products },
        targets,
        checks: [
          check(NAME, {
            title: 'Zipf: database loads vs. distinct keys requested',
            goal: '≤ 1.01× (distinct keys + 1%)',
            value: fullRatio,
            measured: times(fullRatio),
            met: fullRatio <= 1.01,
            detail:
              `full: ${full?.extra.scenarioLoads} loads for ${full?.extra.distinctKeys} distinct ids; ` +
              `naive: ${naive?.extra.scenarioLoads} for ${naive?.extra.distinctKeys} (${times(naiveRatio)})`,
          }),
        ],
        notes: [],
      }
      return result
    })
  },
}

/** GET /products/<Zipf id>, recording each id sent (every request built is sent). */
export function zipfReads(context: BenchContext, requested: Set<number>): () => RequestShape {
  const sampler = createZipfSampler(context.products, ZIPF_S, seededRandom(requested.size + 42))
  return () => {
    const id = sampler.next()
    requested.add(id)
    return { method: 'GET', path: `/products/${id}` }
  }
}

async function countersOf(running: Map<string, RunningTarget>) {
  const entries = await Promise.all(
    [...running.values()].map(async (target) => [target.spec.id, await target.counters()] as const),
  )
  return new Map(entries)
}

function scenarioLoads(
  spec: TargetSpec,
  before: Awaited<ReturnType<RunningTarget['counters']>> | undefined,
  after: Awaited<ReturnType<RunningTarget['counters']>> | undefined,
): number {
  if (spec.kind !== 'service' || !before || !after) return 0
  const delta = subtractCounters(after, before)
  return spec.strategy === 'none' ? delta.productReads : delta.loads
}
