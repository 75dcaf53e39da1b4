import { measuredRounds, runInterleaved } from '../interleaved-rounds.js'
import type { ScenarioResult, TargetResult } from '../results.js'
import { median, ratio } from '../stats.js'
import { summarizeTarget } from '../summarize-target.js'
import type { TargetSpec } from '../targets.js'
import { FULL, NAIVE, NONE, REF_FASTIFY, warmProduct, withEnv } from './common-targets.js'
import {
  check,
  ms,
  roundSettings,
  type Scenario,
  targetById,
  times,
  withTargets,
} from './scenario.js'

const NAME = 'expiry'
const PRODUCT_ID = 1
const DB_LATENCY_MS = 100
/** The shortest TTL the service takes: the hot key expires about once a second under load. */
const EXPIRING_TTL_S = 1
/** Never expires within the run: the steady state to compare with. */
const STEADY_TTL_S = 3600

const slowDb = (spec: TargetSpec, ttlSeconds: number, id = spec.id, label = spec.label) =>
  withEnv(
    { ...spec, id, label },
    { DB_EXTRA_LATENCY_MS: String(DB_LATENCY_MS), CACHE_TTL_SECONDS: String(ttlSeconds) },
  )

const FULL_STEADY = slowDb(FULL, STEADY_TTL_S, 'full-steady', 'full, steady state (TTL 1 h)')
const FULL_EXPIRING = slowDb(FULL, EXPIRING_TTL_S, 'full', 'full, TTL 1 s')
const NAIVE_STEADY = slowDb(NAIVE, STEADY_TTL_S, 'naive-steady', 'naive, steady state (TTL 1 h)')
const NAIVE_EXPIRING = slowDb(NAIVE, EXPIRING_TTL_S, 'naive', 'naive, TTL 1 s')
const NONE_SLOW = slowDb(NONE, EXPIRING_TTL_S)
const ORDER = [FULL_STEADY, FULL_EXPIRING, NAIVE_STEADY, NAIVE_EXPIRING, NONE_SLOW, REF_FASTIFY]

/**
 * One hot product whose entry expires every second while it is read under load, with a database
 * that answers 100 ms late. Each strategy runs twice: with TTL 1 s, and with a TTL that never
 * passes (the steady state); the p99 of the first is set against the p99 of the second.
 */
export const expiry: Scenario = {
  name: NAME,
  title: 'Hot key expiring under load',
  async run(context) {
    const settings = roundSettings(
      context,
      { rounds: 3, durationMs: 5000, warmupMs: 1000, connections: 50, splitBy: 'x-cache' },
      { durationMs: 2000 },
    )
    return withTargets(context, NAME, ORDER, async (running) => {
      for (const target of running.values()) {
        if (target.spec.kind === 'service') await warmProduct(target, PRODUCT_ID)
      }
      const request = { method: 'GET', path: `/products/${PRODUCT_ID}` } as const
      const measured = await runInterleaved(
        context,
        NAME,
        ORDER.map((spec) => ({ target: targetById(running, spec.id), request })),
        settings,
      )
      const references = { bareFastify: measured.get(REF_FASTIFY.id) ?? [] }
      const targets = ORDER.map((spec) => {
        const runs = measuredRounds(measured.get(spec.id))
        const split = (status: string, field: 'count' | 'p50' | 'p99') =>
          median(
            runs.map((run) => run.split?.[status]?.[field] ?? (field === 'count' ? 0 : Number.NaN)),
          )
        if (spec.kind !== 'service') return summarizeTarget(spec, measured.get(spec.id) ?? [])
        return summarizeTarget(spec, measured.get(spec.id) ?? [], references, {
          slowResponses: median(runs.map((run) => run.slowResponses)),
          loadsPerSecond: median(runs.map((run) => run.databaseLoads / (run.elapsedMs / 1000))),
          missesPerRun: split('MISS', 'count'),
          missP50Ms: split('MISS', 'p50'),
          stalePerRun: split('STALE', 'count'),
          staleP99Ms: split('STALE', 'p99'),
          hitP99Ms: split('HIT', 'p99'),
        })
      })
      const byId = (id: string) => targets.find((target) => target.id === id)
      const fullRatio = p99Ratio(byId(FULL_EXPIRING.id), byId(FULL_STEADY.id))
      const naiveRatio = p99Ratio(byId(NAIVE_EXPIRING.id), byId(NAIVE_STEADY.id))
      const naive = byId(NAIVE_EXPIRING.id)
      const naiveCliff = naive?.extra.missP50Ms ?? Number.NaN
      const full = byId(FULL_EXPIRING.id)
      const fullMisses = full?.extra.missesPerRun ?? Number.NaN

      const result: ScenarioResult = {
        name: NAME,
        title: 'Hot key passing its expiry under load, 100 ms database',
        description:
          `${settings.connections} connections read GET /products/${PRODUCT_ID}; its entry is ` +
          `fresh for ${EXPIRING_TTL_S} s, so it expires about once a second during each ` +
          `${settings.durationMs / 1000} s run; the database answers ${DB_LATENCY_MS} ms late. ` +
          `The steady state is the same service with CACHE_TTL_SECONDS=${STEADY_TTL_S}.`,
        settings: { ...settings, dbExtraLatencyMs: DB_LATENCY_MS, ttlSeconds: EXPIRING_TTL_S },
        targets,
        checks: [
          check(NAME, {
            title: 'Expiry: p99 while the hot key expires vs. steady-state p99',
            goal: '≤ 1.5×',
            value: fullRatio,
            measured: times(fullRatio),
            met: fullRatio <= 1.5,
            detail:
              `full: p99 ${ms(full?.median.p99 ?? Number.NaN)} expiring vs. ` +
              `${ms(byId(FULL_STEADY.id)?.median.p99 ?? Number.NaN)} steady; per run (median) ` +
              `${fullMisses} responses waited for the database (X-Cache: MISS) and ` +
              `${full?.extra.stalePerRun} were served stale (p99 ${ms(full?.extra.staleP99Ms ?? Number.NaN)})`,
          }),
          check(NAME, {
            title: 'Expiry, naive: a cliff of at least the database latency',
            goal: `MISS responses wait ≥ ${DB_LATENCY_MS} ms`,
            value: naiveCliff,
            measured: `MISS p50 ${ms(naiveCliff)}`,
            met: naiveCliff >= DB_LATENCY_MS,
            detail:
              `naive: ${naive?.extra.missesPerRun} MISS responses per run (median), p50 ` +
              `${ms(naiveCliff)}; p99 ${times(naiveRatio)} its steady state, ` +
              `p99.9 ${ms(naive?.median.p999 ?? Number.NaN)}`,
          }),
        ],
        notes: [],
      }
      return result
    })
  },
}

function p99Ratio(expiring: TargetResult | undefined, steady: TargetResult | undefined): number {
  return ratio(expiring?.median.p99 ?? Number.NaN, steady?.median.p99 ?? Number.NaN)
}
