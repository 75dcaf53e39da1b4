import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { expect, it, onTestFinished } from 'vitest'
import { auth } from '../support/app.js'
import { startCluster } from '../support/cluster.js'
import { startRedisServer } from '../support/redis.js'
import { POLL, rowOf } from '../worker/write-behind-support.js'
import { range } from './support/traffic.js'

// FLUSHALL (an operator's mistake, or a restart without persistence) twice while two instances
// serve reads of products and list pages and synchronous writes. Deferred writes are left out:
// a flush destroys what Redis holds, staged writes included; what must hold is that nothing
// fails and nothing stays stale.

const PRODUCTS = range(1, 12)
const WRITES_PER_PRODUCT = 5
const READS = 300
const FLUSH_AT_MS = [300, 900]
const QUIET_DEADLINE_MS = 5000

it('FLUSHALL mid-traffic: no read fails, no write is lost, nothing stale once quiet', async () => {
  const server = await startRedisServer()
  onTestFinished(() => server.dispose())
  const cluster = await startCluster(2, { REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '100' })
  onTestFinished(() => cluster.close())
  const apps = cluster.apps
  const admin = new Redis(server.url)
  onTestFinished(() => void admin.disconnect())

  const started = performance.now()
  const lastWritten = new Map<number, string>()
  const statuses = { reads: new Map<number, number>(), writes: new Map<number, number>() }
  const count = (tally: Map<number, number>, status: number) =>
    tally.set(status, (tally.get(status) ?? 0) + 1)

  const flushes = FLUSH_AT_MS.map(async (atMs) => {
    await expect
      .poll(async () => performance.now() - started >= atMs, { ...POLL, interval: 5 })
      .toBe(true)
    await admin.flushall()
  })
  const writer = async (app: FastifyInstance, ids: number[]) => {
    for (let round = 1; round <= WRITES_PER_PRODUCT; round++) {
      for (const id of ids) {
        const name = `product ${id}, write ${round}`
        const response = await app.inject({
          method: 'PATCH',
          url: `/products/${id}`,
          headers: auth,
          payload: { name },
        })
        count(statuses.writes, response.statusCode)
        if (response.statusCode === 200) lastWritten.set(id, name)
      }
    }
  }
  const reader = async (app: FastifyInstance) => {
    for (let i = 0; i < READS; i++) {
      const url = i % 5 === 0 ? '/products?limit=20' : `/products/${PRODUCTS[i % PRODUCTS.length]}`
      count(statuses.reads, (await app.inject({ method: 'GET', url })).statusCode)
    }
  }
  const [a, b] = apps as [FastifyInstance, FastifyInstance]
  await Promise.all([
    ...flushes,
    writer(a, PRODUCTS.slice(0, 6)),
    writer(b, PRODUCTS.slice(6)),
    reader(a),
    reader(b),
  ])

  // Every write answered 200 is in the database, and every instance serves the rows.
  for (const [id, name] of lastWritten) expect((await rowOf(a, id)).name).toBe(name)
  const quietAt = performance.now()
  await expect
    .poll(
      async () => {
        for (const app of apps) {
          const page = (await app.inject({ method: 'GET', url: '/products?limit=20' })).json()
          for (const [id, name] of lastWritten) {
            const product = (await app.inject({ method: 'GET', url: `/products/${id}` })).json()
            if (product.data.name !== name) return false
            if (page.items.find((item: { id: number }) => item.id === id)?.name !== name)
              return false
          }
        }
        return true
      },
      { ...POLL, timeout: QUIET_DEADLINE_MS },
    )
    .toBe(true)
  const resets = await cluster.total('cache_redis_resets_total{cache="product"}')
  console.info(
    `FLUSHALL ×${FLUSH_AT_MS.length} mid-traffic: reads ${JSON.stringify(Object.fromEntries(statuses.reads))}, ` +
      `writes ${JSON.stringify(Object.fromEntries(statuses.writes))}, ${lastWritten.size} products written, ` +
      `resets counted ${resets}, fresh everywhere ${Math.round(performance.now() - quietAt)} ms after quiet`,
  )
  expect([...statuses.reads.keys()]).toEqual([200])
  expect([...statuses.writes.keys()].every((status) => status === 200 || status === 503)).toBe(true)
  expect(resets).toBeGreaterThanOrEqual(2)
})
