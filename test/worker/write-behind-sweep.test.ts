import { Worker } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { CATALOG_QUEUE, queuePrefix, workerConnection } from '../../src/queues/catalog-queue.js'
import { persistJobId } from '../../src/queues/persist-product-write.js'
import { startTestApp, type TestApp } from '../support/app.js'
import {
  drained,
  PATIENT_REDIS,
  POLL,
  patchLater,
  rowOf,
  startWorkerApp,
} from './write-behind-support.js'

describe("write-behind: the worker's sweep of pending writes", () => {
  let t: TestApp | undefined
  let worker: FastifyInstance | undefined
  afterEach(async () => {
    await worker?.close()
    await t?.close()
  })

  it('queues the job of a write whose API died before queueing it', async () => {
    t = await startTestApp(PATIENT_REDIS)
    const { app, config } = t
    const { version } = (await patchLater(app, 5, { stock: 505 })).json()
    await (await app.queue.getJob(persistJobId(5, version)))?.remove() // as if never queued

    worker = await startWorkerApp(config, app) // sweeps as it starts
    await expect.poll(() => drained(app, config), POLL).toBe(true)
    expect(await rowOf(app, 5)).toMatchObject({ stock: 505, version })
  })

  it('retries the job of a pending write that gave up', async () => {
    t = await startTestApp({ ...PATIENT_REDIS, JOB_ATTEMPTS: '1' })
    const { app, config } = t
    // A worker whose every job fails, as while the database was down for longer than retries.
    const connection = workerConnection(config)
    const failing = new Worker(
      CATALOG_QUEUE,
      async () => {
        throw new Error('database unreachable')
      },
      { connection, prefix: queuePrefix(config) },
    )
    const { version } = (await patchLater(app, 6, { stock: 606 })).json()
    const jobId = persistJobId(6, version)
    await expect
      .poll(async () => (await (await app.queue.getJob(jobId))?.getState()) === 'failed', POLL)
      .toBe(true)
    await failing.close()
    connection.disconnect()

    worker = await startWorkerApp(config, app)
    await expect.poll(() => drained(app, config), POLL).toBe(true)
    expect(await rowOf(app, 6)).toMatchObject({ stock: 606, version })
    expect(await (await app.queue.getJob(jobId))?.getState()).toBe('completed')
  })
})
