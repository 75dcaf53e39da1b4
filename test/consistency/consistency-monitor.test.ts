import type { FastifyInstance } from 'fastify'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { auth } from '../support/app.js'
import { startCluster, type TestCluster } from '../support/cluster.js'
import { instancesOnOwnRedis } from '../support/proxied-instances.js'

// The consistency monitor (src/consistency): it finds what the cache's own protections cannot
// see, repairs it, and counts it. Each test runs with the monitor on and off: off, the stale
// entry stays; that is what the monitor is for.

async function versionOn(app: FastifyInstance, id: number): Promise<number> {
  const response = await app.inject({ method: 'GET', url: `/products/${id}` })
  return response.json().data.version
}

async function warm(apps: readonly FastifyInstance[], id: number) {
  for (const app of apps) {
    await versionOn(app, id)
    await versionOn(app, id) // now in its L1
  }
}

/** A counter of the consistency monitor, summed over the instances. */
function checks(cluster: Pick<TestCluster, 'total'>, kind: string, result: string) {
  return cluster.total(
    `cache_consistency_checks_total{cache="product",kind="${kind}",result="${result}"}`,
  )
}

describe('a row changed behind the service’s back (plain SQL)', () => {
  async function scenario(samplesPerSecond: string) {
    const cluster = await startCluster(2, { CONSISTENCY_SAMPLE_PER_SEC: samplesPerSecond })
    onTestFinished(() => cluster.close())
    const [a, b] = cluster.apps as [FastifyInstance, FastifyInstance]
    await warm([a, b], 5)
    // No invalidation announces it: an operator's UPDATE, a migration.
    await a.database.db
      .updateTable('products')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: new Date().toISOString() }))
      .where('id', '=', 5)
      .execute()
    return { cluster, a, b }
  }

  it('is found by the sampled checks under read traffic and repaired on both instances', async ({
    annotate,
  }) => {
    const { cluster, a, b } = await scenario('50')
    const started = performance.now()
    await vi.waitFor(
      async () => {
        expect([await versionOn(a, 5), await versionOn(b, 5)]).toEqual([2, 2])
      },
      { timeout: 10_000, interval: 20 },
    )
    const stale = await checks(cluster, 'sample', 'stale')
    await annotate(
      `both instances fresh ${Math.round(performance.now() - started)} ms after the SQL; ${stale} stale found`,
    )
    expect(stale).toBeGreaterThanOrEqual(1)
    expect(await checks(cluster, 'sample', 'consistent')).toBeGreaterThan(0)
  })

  it('stays stale with sampling off (CONSISTENCY_SAMPLE_PER_SEC=0): the test can fail', async () => {
    const { a, b } = await scenario('0')
    const until = performance.now() + 3000
    while (performance.now() < until) {
      expect([await versionOn(a, 5), await versionOn(b, 5)]).toEqual([1, 1])
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })
})

describe('an invalidation lost on the bus', () => {
  /**
   * Two instances on one Redis; B reaches it through a fault proxy. The bus's own recovery is
   * off, so only the monitor can notice what B missed.
   */
  async function scenario(checkDelaysMs: string) {
    const { server, proxy, instance } = await instancesOnOwnRedis({
      UNSAFE_DISABLE_PROTECTIONS: 'bus-recovery',
      CONSISTENCY_CHECK_DELAYS_MS: checkDelaysMs,
      CONSISTENCY_SAMPLE_PER_SEC: '0', // only the invalidation checks
    })
    const a = await instance(server.url)
    const b = await instance(proxy.url)
    await warm([a, b], 3)

    // B is cut off while A writes: the bus message to B is held by the proxy, then lost with
    // B's connections when they are reset (as after a partition).
    const sentByA = () => counter(a, 'cache_bus_messages_total{direction="sent"}')
    const sentBefore = await sentByA()
    proxy.blackhole()
    const write = await a.inject({
      method: 'PATCH',
      url: '/products/3',
      headers: auth,
      payload: { name: 'written while B was cut off' },
    })
    expect(write.statusCode).toBe(200)
    // The bus sends after the response: wait until A has published, so the message is held.
    await vi.waitFor(async () => expect(await sentByA()).toBeGreaterThan(sentBefore))
    proxy.reset()
    proxy.heal()
    return { b }
  }

  it('is found on the instance that lost it by the check after the write, and repaired', async ({
    annotate,
  }) => {
    const { b } = await scenario('500')
    const healed = performance.now()
    await vi.waitFor(async () => expect(await versionOn(b, 3)).toBe(2), {
      timeout: 10_000,
      interval: 50,
    })
    await annotate(`B fresh ${Math.round(performance.now() - healed)} ms after the heal`)
    expect(
      await counter(
        b,
        'cache_consistency_checks_total{cache="product",kind="invalidation",result="stale"}',
      ),
    ).toBe(1)
  })

  it('stays stale in B’s L1 without the checks: the test can fail', async () => {
    const { b } = await scenario('none')
    const until = performance.now() + 3000
    while (performance.now() < until) {
      expect(await versionOn(b, 3)).toBe(1)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })
})

describe('the monitor’s cost to the database', () => {
  it('adds no more queries than its sampling rate, however many reads', async ({ annotate }) => {
    const cluster = await startCluster(1, { CONSISTENCY_SAMPLE_PER_SEC: '5' })
    onTestFinished(() => cluster.close())
    const [app] = cluster.apps as [FastifyInstance]
    await warm([app], 1)
    const queries = () => cluster.total('db_query_duration_seconds_count{operation="find_product"}')
    const before = await queries()
    const started = performance.now()
    let reads = 0
    while (performance.now() - started < 2000) {
      await versionOn(app, 1)
      reads++
    }
    const seconds = (performance.now() - started) / 1000
    // It does sample. A loaded machine may not have run one yet (samples start off the request
    // path, after the reads that picked them): wait for the first. At most 2 may still be
    // running after it (MAX_SAMPLES_IN_FLIGHT): the +5 below covers them.
    await expect.poll(async () => (await queries()) - before, { timeout: 5000 }).toBeGreaterThan(0)
    const added = (await queries()) - before
    await annotate(`${reads} L1 hits in ${seconds.toFixed(1)} s: ${added} database queries added`)
    expect(reads).toBeGreaterThan(100)
    expect(added).toBeLessThanOrEqual(5 * Math.ceil(seconds) + 5)
  })
})

/** One series of one instance's metrics. */
async function counter(app: FastifyInstance, series: string): Promise<number> {
  const text = await app.metrics.registry.metrics()
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}
