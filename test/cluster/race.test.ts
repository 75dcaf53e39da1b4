import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { auth } from '../support/app.js'
import { startCluster, type TestCluster } from '../support/cluster.js'

const PRODUCTS = Array.from({ length: 12 }, (_, i) => i + 1)
const OPERATIONS = 4000
const CONCURRENCY = 24
/** After the storm, longer than the 100 ms an invalidation takes to reach every instance. */
const QUIET_MS = 300

/** A small seeded generator, so a failing interleaving can be replayed. */
function mulberry32(seed: number) {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Readers (one product, or a batch of several: GET /products?ids=), writers and invalidators
 * on every instance at once, against a database whose reads
 * answer 20 ms late (a snapshot from before a write can arrive after it). Then quiet; then every
 * instance reads every product, and each answer older than the last acknowledged write counts.
 */
async function staleAfterRace(cluster: TestCluster, seed: number) {
  const random = mulberry32(seed)
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T
  const acknowledged = new Map<number, number>() // product → highest version a write answered
  let started = 0

  const worker = async () => {
    while (started < OPERATIONS) {
      const n = started++
      const app = pick(cluster.apps)
      const id = pick(PRODUCTS)
      const roll = random()
      if (roll < 0.35) {
        const response = await app.inject({ method: 'GET', url: `/products/${id}` })
        expect(response.statusCode).toBe(200)
      } else if (roll < 0.7) {
        const ids = [id, pick(PRODUCTS), pick(PRODUCTS), pick(PRODUCTS)].join(',')
        const response = await app.inject({ method: 'GET', url: `/products?ids=${ids}` })
        expect(response.statusCode).toBe(200)
      } else if (roll < 0.9) {
        const response = await app.inject({
          method: 'PATCH',
          url: `/products/${id}`,
          headers: auth,
          payload: { name: `write ${n}` },
        })
        expect(response.statusCode).toBe(200)
        const { version } = response.json()
        acknowledged.set(id, Math.max(version, acknowledged.get(id) ?? 0))
      } else {
        const response = await app.inject({
          method: 'DELETE',
          url: `/products/cache/${id}`,
          headers: auth,
        })
        expect(response.statusCode, response.body).toBe(204)
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  await sleep(QUIET_MS)

  const stale: string[] = []
  const check = (instance: number, how: string, id: number, version: number) => {
    const expected = acknowledged.get(id) ?? 1
    if (version !== expected)
      stale.push(`instance ${instance} ${how} ${id}: v${version} < v${expected}`)
  }
  for (const [instance, app] of cluster.apps.entries()) {
    for (const id of PRODUCTS) {
      const { data } = (await app.inject({ method: 'GET', url: `/products/${id}` })).json()
      check(instance, 'product', id, data.version)
    }
    const batch = await app.inject({ method: 'GET', url: `/products?ids=${PRODUCTS.join(',')}` })
    for (const product of batch.json().items) check(instance, 'batch', product.id, product.version)
  }
  return stale
}

describe('a randomized race of reads, writes and invalidations on 3 instances', () => {
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
  })

  it('leaves every instance serving every product’s last acknowledged write', async () => {
    cluster = await startCluster(3, { DB_EXTRA_LATENCY_MS: '20' })
    const stale = await staleAfterRace(cluster, 42)
    const fenced = await cluster.total('cache_fenced_fills_total{cache="product"}')
    console.info(
      `race, full strategy: ${stale.length} stale of ${6 * PRODUCTS.length} reads after the race (single and batch); ${fenced} fills fenced`,
    )
    expect(stale).toEqual([])
    // The consistency monitor agrees: its checks 1 s after each write found nothing stale.
    const monitor = await consistencyAfterChecks(cluster)
    console.info(
      `race, full strategy: the monitor checked ${monitor.checks} times, ${monitor.stale} stale`,
    )
    expect(monitor.checks).toBeGreaterThan(0)
    expect(monitor.stale).toBe(0)
  }, 60_000)

  it('finds stale products with CACHE_STRATEGY=naive (the test can fail)', async () => {
    // The naive strategy's races depend on timing: on a busy machine (or a Cluster's extra hop)
    // one run can end clean. Up to three runs, on a fresh cluster each: one must leave stale keys.
    let stale: string[] = []
    for (const seed of [42, 43, 44]) {
      await cluster?.close()
      cluster = await startCluster(3, { DB_EXTRA_LATENCY_MS: '20', CACHE_STRATEGY: 'naive' })
      stale = await staleAfterRace(cluster, seed)
      console.info(
        `race, naive strategy (seed ${seed}): ${stale.length} stale of ${6 * PRODUCTS.length} reads after the race (single and batch)`,
      )
      if (stale.length > 0) break
    }
    expect(stale.length).toBeGreaterThan(0)
    // What the consistency monitor made of it, reported, not asserted: on one Redis its checks
    // found 3–6 stale entries in our runs; on the Cluster project none, while the final reads
    // found 2 stale on one instance only (not yet understood: see the session 5 notes).
    const monitor = await consistencyAfterChecks(cluster as TestCluster)
    console.info(
      `race, naive strategy: the monitor checked ${monitor.checks} times, ${monitor.stale} stale`,
    )
    expect(monitor.checks).toBeGreaterThan(0)
  }, 60_000)
})

/** The monitor's counts over every instance, once the checks 1 s after the last writes ran. */
async function consistencyAfterChecks(cluster: TestCluster) {
  const series = (result: string) =>
    cluster.total(
      `cache_consistency_checks_total{cache="product",kind="invalidation",result="${result}"}`,
    )
  let last = -1
  // The checks of the last writes are due 1 s after them; wait until the count settles.
  await vi.waitFor(
    async () => {
      const now = (await series('consistent')) + (await series('stale'))
      const settled = now === last && now > 0
      last = now
      expect(settled).toBe(true)
    },
    { timeout: 5000, interval: 700 },
  )
  return { checks: last, stale: await series('stale') }
}
