import type { Job } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { persistJobId } from '../../src/queues/persist-product-write.js'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import {
  idsPending,
  PATIENT_REDIS,
  POLL,
  patchLater,
  pendingWrites,
  readProduct,
  rowOf,
  startWorkerApp,
} from './write-behind-support.js'

/** Product `id` as the first list page shows it (the page is cached like any read). */
async function listed(app: FastifyInstance, id: number) {
  const page = await app.inject({ method: 'GET', url: '/products?limit=5' })
  return page.json().items.find((product: { id: number }) => product.id === id)
}

/**
 * Waits for a job to finish; answers it as it ended. Read again once finished: a copy read
 * just before it failed would say "failed" (getState asks Redis) yet carry no failedReason.
 */
async function finished(app: FastifyInstance, jobId: string): Promise<Job> {
  await expect
    .poll(async () => {
      const state = await (await app.queue.getJob(jobId))?.getState()
      return state === 'completed' || state === 'failed'
    }, POLL)
    .toBe(true)
  return (await app.queue.getJob(jobId)) as Job
}

describe('write-behind: a write the database refuses', () => {
  let t: TestApp | undefined
  let worker: FastifyInstance | undefined
  afterEach(async () => {
    await worker?.close()
    await t?.close()
  })

  it("ends failed with its reason, and reads (list pages too) return the database's row again", async () => {
    t = await startTestApp(PATIENT_REDIS) // no worker yet: the refused value is cached meanwhile
    const { app, config } = t
    const before = (await readProduct(app, 1)).product
    const other = (await readProduct(app, 2)).product
    expect(await listed(app, 1)).toEqual(before) // and the page is cached

    // A SKU free when the write is staged (a taken one is refused before the 202), taken by a
    // synchronous write before the job runs: the database refuses the deferred one then.
    const response = await patchLater(app, 1, { sku: 'TAKEN-LATER', stock: 5 })
    expect(response.statusCode).toBe(202)
    const taking = { method: 'PATCH' as const, url: `/products/${other.id}`, headers: auth }
    expect((await app.inject({ ...taking, payload: { sku: 'TAKEN-LATER' } })).statusCode).toBe(200)
    const refused = response.json()
    expect((await readProduct(app, 1)).product).toEqual(refused)
    expect((await readProduct(app, 1)).xCache).toBe('HIT') // the cache holds the staged state
    expect(await listed(app, 1)).toEqual(refused) // a list page shows the pending state too

    worker = await startWorkerApp(config, app)
    const job = await finished(app, persistJobId(1, refused.version))
    expect(await job.getState()).toBe('failed')
    expect(job.failedReason).toBe('Another product already has SKU TAKEN-LATER')
    expect(job.attemptsMade).toBe(1) // refused at once, not retried

    const jobView = await app.inject({ method: 'GET', url: `/jobs/${job.id}`, headers: auth })
    expect(jobView.json()).toMatchObject({ state: 'failed', failed_reason: job.failedReason })
    expect((await readProduct(app, 1)).product).toEqual(before)
    expect(await listed(app, 1)).toEqual(before)
    expect(await rowOf(app, 1)).toMatchObject({ sku: before.sku, version: before.version })
    const pending = pendingWrites(app, config)
    expect(await app.redis.hexists(pending.keyOf(1), 'state')).toBe(0)
    expect(await idsPending(pending)).not.toContain(1)

    // The next write builds on the row, above the refused version: its job id is new.
    const next = await patchLater(app, 1, { stock: 6 })
    expect(next.json()).toMatchObject({ sku: before.sku, stock: 6 })
    expect(next.json().version).toBeGreaterThan(refused.version)
    expect(await (await finished(app, persistJobId(1, next.json().version))).getState()).toBe(
      'completed',
    )
    expect(await rowOf(app, 1)).toMatchObject({ stock: 6, version: next.json().version })
  })

  it('fails the job of every write coalesced into the refused one', async () => {
    t = await startTestApp(PATIENT_REDIS)
    const { app, config } = t
    const before = (await readProduct(app, 3)).product
    const taken = 'TAKEN-LATER-3'
    const good = (await patchLater(app, 3, { stock: 40 })).json()
    const bad = await patchLater(app, 3, { price_cents: 100, sku: taken })
    expect(bad.statusCode).toBe(202)
    const taking = {
      method: 'PATCH' as const,
      url: '/products/4',
      headers: auth,
      payload: { sku: taken },
    }
    expect((await app.inject(taking)).statusCode).toBe(200) // before the job runs

    worker = await startWorkerApp(config, app)
    for (const version of [good.version, bad.json().version]) {
      const job = await finished(app, persistJobId(3, version))
      expect(await job.getState()).toBe('failed')
      expect(job.failedReason).toBe(`Another product already has SKU ${taken}`)
    }
    expect((await readProduct(app, 3)).product).toEqual(before)
  })
})
