import type { BenchContext } from '../context.js'
import { measuredRounds, runInterleaved } from '../interleaved-rounds.js'
import type { RequestShape } from '../load-driver.js'
import type { ScenarioResult } from '../results.js'
import { summarizeTarget } from '../summarize-target.js'
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
import { roundSettings, type Scenario, targetById, withTargets } from './scenario.js'
import { ZIPF_S } from './zipf.js'

const NAME = 'read-write-mix'
const WRITE_SHARE = 0.1

const ORDER = [REF_FASTIFY, FULL, REF_IOREDIS, NAIVE, NONE]

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
    return withTargets(context, NAME, ORDER, async (running) => {
      const entry = await storedEntry(context.redis, targetById(running, FULL.id), 1)
      await prefillReference(
        context.redis,
        targetById(running, REF_IOREDIS.id),
        entry,
        context.products,
      )
      const measured = await runInterleaved(
        context,
        NAME,
        ORDER.map((spec, index) => ({
          target: targetById(running, spec.id),
          request: mixedRequests(context, index + 1),
        })),
        settings,
      )
      const references = {
        bareFastify: measured.get(REF_FASTIFY.id) ?? [],
        ioredis: measured.get(REF_IOREDIS.id) ?? [],
      }
      const targets = ORDER.map((spec) => {
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
          'a database (bare: as a GET; ioredis: one SET), so they stay ceilings.',
        settings: { ...settings, writeShare: WRITE_SHARE, zipfS: ZIPF_S },
        targets,
        checks: [],
        notes: [],
      }
      return result
    })
  },
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
