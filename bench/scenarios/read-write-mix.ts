import { setTimeout as sleep } from 'node:timers/promises'
import {
  type ConsistencyCounters,
  checkDelaysMs,
  consistencyFigures,
  formatNines,
  productConsistencyCounters,
  subtractConsistency,
  ZERO_CONSISTENCY,
} from '../consistency-counters.js'
import type { BenchContext } from '../context.js'
import { databaseCopy } from '../database-copy.js'
import { measuredRounds, runInterleaved } from '../interleaved-rounds.js'
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
  withEnv,
} from './common-targets.js'
import { roundSettings, type Scenario, targetById, withTargets } from './scenario.js'
import { ZIPF_S } from './zipf.js'

const NAME = 'read-write-mix'
const WRITE_SHARE = 0.1

/**
 * With the database answering in microseconds, a read's load and its fill are too close together
 * for a write to land between them. Reads 20 ms slower (a sleep after the query, as the race
 * test has it) open that window: naive then stores values a write has already replaced, which
 * its consistency monitor finds; the full strategy's fence refuses them.
 */
const SLOW_READS_MS = '20'
const slowReads = (spec: TargetSpec): TargetSpec =>
  withEnv(
    {
      ...spec,
      id: `${spec.id}-db${SLOW_READS_MS}ms`,
      label: `${spec.id}, reads ${SLOW_READS_MS} ms slower`,
    },
    { DB_EXTRA_LATENCY_MS: SLOW_READS_MS },
  )
const ORDER = [REF_FASTIFY, FULL, REF_IOREDIS, NAIVE, NONE, slowReads(FULL), slowReads(NAIVE)]
/** The service's default (src/config.ts): after each write, checks at 1 s and 10 s. */
const CHECK_DELAYS_MS = '1000,10000'
/** After a check is due, until it has surely been made and counted (the write log is polled). */
const CHECK_SLACK_MS = 1500

/**
 * 90% reads, 10% writes (PATCH of the stock), ids from the same Zipf(s = 1): the popular
 * products are the ones written most, so every write invalidates an entry someone is reading.
 */
export const readWriteMix: Scenario = {
  name: NAME,
  title: '90/10 read/write mix',
  async run(context) {
    const settings = roundSettings(context, {
      rounds: 5,
      durationMs: 3000,
      warmupMs: 1500,
      connections: 50,
    })
    // Each service its own copy of the database: one's writes would be, to another's monitor,
    // rows changed behind its back (stale entries it would rightly find and repair).
    const order: TargetSpec[] = []
    for (const spec of ORDER) {
      order.push(
        spec.kind === 'service'
          ? withEnv(spec, {
              DATABASE_URL: await databaseCopy(context, `${NAME}-${spec.id}`),
              CONSISTENCY_CHECK_DELAYS_MS: CHECK_DELAYS_MS,
            })
          : spec,
      )
    }
    return withTargets(context, NAME, order, async (running) => {
      const entry = await storedEntry(context.redis, targetById(running, FULL.id), 1)
      await prefillReference(
        context.redis,
        targetById(running, REF_IOREDIS.id),
        entry,
        context.products,
      )
      const services = order.filter((spec) => spec.kind === 'service')
      const before = await consistencyOf(running, services)
      const measured = await runInterleaved(
        context,
        NAME,
        order.map((spec, index) => ({
          target: targetById(running, spec.id),
          request: mixedRequests(context, index + 1),
        })),
        settings,
      )
      // The last writes' checks: all of them; in a --quick run, the first only.
      const delays = checkDelaysMs(CHECK_DELAYS_MS)
      const drainMs = ((context.options.quick ? delays[0] : delays.at(-1)) ?? 0) + CHECK_SLACK_MS
      context.progress.log(
        `${NAME}: waiting ${drainMs / 1000} s for the consistency checks of the last writes`,
      )
      await sleep(drainMs)
      const after = await consistencyOf(running, services)
      const consistency = services.map((spec) =>
        consistencyFigures(
          spec,
          subtractConsistency(
            after.get(spec.id) ?? ZERO_CONSISTENCY,
            before.get(spec.id) ?? ZERO_CONSISTENCY,
          ),
        ),
      )
      for (const figures of consistency) {
        context.progress.log(
          `${NAME} · ${figures.targetId}: ${figures.checks} consistency checks, ` +
            `${figures.stale} stale, nines ${formatNines(figures)}`,
        )
      }
      const references = {
        bareFastify: measured.get(REF_FASTIFY.id) ?? [],
        ioredis: measured.get(REF_IOREDIS.id) ?? [],
      }
      const targets = order.map((spec) => {
        const runs = measuredRounds(measured.get(spec.id))
        const writes = runs.reduce(
          (total, run) => total + run.requests - run.counters.productReads,
          0,
        )
        return summarizeTarget(
          spec,
          measured.get(spec.id) ?? [],
          references,
          spec.kind === 'service' ? { writes } : {},
        )
      })
      const result: ScenarioResult = {
        name: NAME,
        title: '90/10 read/write mix over Zipf ids',
        description:
          `${settings.connections} connections; each request is a read (GET /products/:id) or, ` +
          `one time in ${Math.round(1 / WRITE_SHARE)}, a write (PATCH /products/:id ` +
          `{"stock": n} with the admin token), ids from Zipf(s = ${ZIPF_S}). Every write ` +
          'commits to SQLite and invalidates the entry. The references answer a PATCH without ' +
          'a database (bare: as a GET; ioredis: one SET), so they stay ceilings. Each service ' +
          'has its own copy of the seeded database and its consistency monitor at its defaults ' +
          `(checks ${CHECK_DELAYS_MS} ms after each write, 2 sampled cache answers a second); ` +
          "its checks are counted over the whole scenario, warm-up included, the last writes' " +
          `checks waited for${context.options.quick ? ' (in --quick, the first only)' : ''}. ` +
          `The last two targets are full and naive again with reads ${SLOW_READS_MS} ms ` +
          'slower (DB_EXTRA_LATENCY_MS, a sleep after the query; writes are not slowed): a ' +
          "write can then land between a read's load and its fill, the race naive does not " +
          'protect against; their throughput is not comparable with the others.',
        settings: {
          ...settings,
          writeShare: WRITE_SHARE,
          zipfS: ZIPF_S,
          consistencyCheckDelaysMs: CHECK_DELAYS_MS,
        },
        targets,
        checks: [],
        consistency,
        notes: [],
      }
      return result
    })
  },
}

/** Each service's consistency counters now, by target id. */
async function consistencyOf(
  running: Map<string, RunningTarget>,
  services: readonly TargetSpec[],
): Promise<Map<string, ConsistencyCounters>> {
  const entries = await Promise.all(
    services.map(async (spec) => {
      const samples = await targetById(running, spec.id).samples()
      return [spec.id, productConsistencyCounters(samples)] as const
    }),
  )
  return new Map(entries)
}

function mixedRequests(context: BenchContext, seed: number): () => RequestShape {
  const random = seededRandom(seed)
  const sampler = createZipfSampler(context.products, ZIPF_S, random)
  const headers = {
    authorization: `Bearer ${context.adminToken}`,
    'content-type': 'application/json',
  }
  return () => {
    const id = sampler.next()
    if (random() >= WRITE_SHARE) return { method: 'GET', path: `/products/${id}` }
    const stock = Math.floor(random() * 1000)
    return { method: 'PATCH', path: `/products/${id}`, body: `{"stock":${stock}}`, headers }
  }
}
