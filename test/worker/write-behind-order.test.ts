import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Product } from '../../src/catalog/product.js'
import { createProductRepository } from '../../src/db/product-repository.js'
import { PERSIST_PRODUCT_WRITE } from '../../src/queues/persist-product-write.js'
import { startCluster, type TestCluster } from '../support/cluster.js'
import {
  drained,
  PATIENT_REDIS,
  POLL,
  patchLater,
  readProduct,
  rowOf,
  startWorkerApp,
} from './write-behind-support.js'

const WRITES = 30

describe('write-behind: order', () => {
  let cluster: TestCluster
  const workers: FastifyInstance[] = []
  beforeAll(async () => {
    cluster = await startCluster(3, PATIENT_REDIS)
    // Two workers (4 jobs each at once) persist while the writes arrive: jobs of one product
    // overlap, finish out of order, and settle while newer writes are being staged.
    const api = cluster.apps[0] as FastifyInstance
    for (let i = 0; i < 2; i++) workers.push(await startWorkerApp(cluster.config, api))
  })
  afterAll(async () => {
    for (const worker of workers) await worker.close()
    await cluster.close()
  })

  it(`${WRITES} concurrent async PATCHes over 3 instances: the database ends with the last acknowledged`, async () => {
    const { apps, config } = cluster
    const id = 7
    const responses = await Promise.all(
      Array.from({ length: WRITES }, (_, i) =>
        patchLater(apps[i % apps.length] as FastifyInstance, id, {
          stock: 1000 + i,
          name: `Write ${i}`,
        }),
      ),
    )
    const acknowledged: Product[] = responses.map((response) => {
      expect(response.statusCode).toBe(202)
      return response.json()
    })
    // Each write was staged on the one before it: every acknowledgement has its own version.
    expect(new Set(acknowledged.map((product) => product.version)).size).toBe(WRITES)
    acknowledged.forEach((product, i) => {
      expect(product).toMatchObject({ stock: 1000 + i, name: `Write ${i}` })
    })
    const last = acknowledged.reduce((a, b) => (b.version > a.version ? b : a))
    const first = acknowledged.reduce((a, b) => (b.version < a.version ? b : a))

    await expect
      .poll(() => drained(apps[0] as FastifyInstance, config), { ...POLL, timeout: 15_000 })
      .toBe(true)
    const row = await rowOf(apps[0] as FastifyInstance, id)
    expect(row).toMatchObject({ stock: last.stock, name: last.name, version: last.version })
    for (const app of apps) expect((await readProduct(app, id)).product).toEqual(last)

    // A job run again, for an old write: it finds nothing pending, and changes nothing.
    const worker = workers[0] as FastifyInstance
    expect(await worker.catalog.persistPendingWrite(id, first.version)).toEqual({
      status: 'coalesced',
    })
    const replay = await worker.queue.add(
      PERSIST_PRODUCT_WRITE,
      { v: 1, productId: id, version: first.version },
      { jobId: `replay-${id}-v${first.version}` },
    )
    await expect.poll(async () => (await replay.getState()) === 'completed', POLL).toBe(true)
    // A job that read an old pending state and applies it late (a slow or redelivered one).
    const { sku, name, description, price_cents, currency, category, stock } = first
    const late = await createProductRepository(worker.database).applyIfNewer(
      id,
      { sku, name, description, price_cents, currency, category, stock },
      first.version,
      first.updated_at,
    )
    expect(late).toEqual({ status: 'already_newer', currentVersion: last.version })
    expect(await rowOf(apps[0] as FastifyInstance, id)).toEqual(row)
  })
})
