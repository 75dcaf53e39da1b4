import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, type TestCluster } from '../support/cluster.js'

/** 900 concurrent reads of one cold product, spread over 3 instances, against a 100 ms database. */
async function stampede(cluster: TestCluster) {
  const responses = await Promise.all(
    Array.from({ length: 900 }, (_, i) =>
      cluster.apps[i % cluster.apps.length]?.inject({ method: 'GET', url: '/products/7' }),
    ),
  )
  for (const response of responses) expect(response?.statusCode).toBe(200)
  return cluster.total('cache_loads_total{cache="product"}')
}

// The three instances share this process's event loop, so under 900 requests a Redis reply can
// wait three times longer to be read than in three separate processes; the test apps' 1 s
// command timeout (test/support) keeps that lag from passing for a Redis failure.
const env = { DB_EXTRA_LATENCY_MS: '100' }

describe('a cold-key stampede on 3 instances', () => {
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
  })

  it('loads the product exactly once in the whole cluster', async () => {
    cluster = await startCluster(3, env)
    const loads = await stampede(cluster)
    console.info(`stampede, full strategy: ${loads} database load(s) for 900 requests`)
    expect(loads).toBe(1)
    expect(await cluster.total('cache_coalesced_total{cache="product"}')).toBeGreaterThan(0)
  })

  it('loads it for (almost) every request with CACHE_STRATEGY=naive', async () => {
    cluster = await startCluster(3, { ...env, CACHE_STRATEGY: 'naive' })
    const loads = await stampede(cluster)
    console.info(`stampede, naive strategy: ${loads} database loads for 900 requests`)
    expect(loads).toBeGreaterThan(100)
  })
})

/** 300 overlapping batches of the same 50 cold products (20 to 50 ids each), over 3 instances. */
async function batchStampede(cluster: TestCluster) {
  const ids = Array.from({ length: 50 }, (_, i) => i + 1)
  const responses = await Promise.all(
    Array.from({ length: 300 }, (_, n) => {
      const start = (n * 7) % ids.length
      const batch = [...ids.slice(start), ...ids.slice(0, start)].slice(0, 20 + (n % 31))
      const url = `/products?ids=${(n % 2 ? batch.reverse() : batch).join(',')}`
      return cluster.apps[n % cluster.apps.length]?.inject({ method: 'GET', url })
    }),
  )
  for (const response of responses) {
    expect(response?.statusCode).toBe(200)
    expect(response?.json().missing).toEqual([])
  }
  return cluster.total('cache_loads_total{cache="product"}')
}

describe('a cold-key stampede of batch reads on 3 instances', () => {
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
  })
  const batchEnv = { ...env, SEED_PRODUCTS: '50' }

  it('loads each of the 50 products exactly once in the whole cluster', async () => {
    cluster = await startCluster(3, batchEnv)
    const loads = await batchStampede(cluster)
    console.info(
      `batch stampede, full strategy: ${loads} products loaded for 300 batches of 50 ids`,
    )
    expect(loads).toBe(50) // each was loaded, so 50 means each once
  })

  it('loads them again and again with CACHE_STRATEGY=naive', async () => {
    cluster = await startCluster(3, { ...batchEnv, CACHE_STRATEGY: 'naive' })
    const loads = await batchStampede(cluster)
    console.info(`batch stampede, naive strategy: ${loads} products loaded for 300 batches`)
    expect(loads).toBeGreaterThan(100)
  })
})
