import type { Job } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { persistJobId } from '../../src/queues/persist-product-write.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { type TestDialect, testDialects } from '../support/databases.js'
import { PATIENT_REDIS, POLL, patchLater, rowOf, startWorkerApp } from './write-behind-support.js'

const postgres = testDialects.find((dialect) => dialect.name === 'postgres')

/** PostgreSQL databases whose app connections wait at most 200 ms for a lock, then fail. */
function withLockTimeout(dialect: TestDialect): TestDialect {
  return {
    name: dialect.name,
    async create() {
      const database = await dialect.create()
      const url = new URL(database.url)
      url.searchParams.set('options', '-c lock_timeout=200')
      return { ...database, url: url.toString() }
    },
  }
}

describe.skipIf(postgres === undefined)(
  'write-behind: the database is unreachable for a while',
  () => {
    let t: TestApp | undefined
    let worker: FastifyInstance | undefined
    let locker: pg.Client | undefined
    afterEach(async () => {
      await locker?.end().catch(() => {})
      await worker?.close()
      await t?.close()
    })

    it('refuses a deferred write whose row it cannot read, naming the database, not Redis', async () => {
      t = await startTestApp(PATIENT_REDIS, withLockTimeout(postgres as TestDialect))
      locker = new pg.Client({ connectionString: t.config.DATABASE_URL?.split('?')[0] })
      await locker.connect()
      await locker.query('begin')
      await locker.query('lock table products in access exclusive mode')
      const response = await patchLater(t.app, 2, { stock: 322 })
      expect(response.statusCode).toBe(503)
      expect(response.headers['retry-after']).toBe('1')
      expect(response.json().detail).toBe('The database did not answer; nothing was changed; retry')
      await locker.query('rollback')
    })

    it('retries the write with backoff until the database answers, then persists it', async () => {
      t = await startTestApp(PATIENT_REDIS, withLockTimeout(postgres as TestDialect))
      const { app, config } = t
      const response = await patchLater(app, 2, { stock: 321 })
      expect(response.statusCode).toBe(202)
      const { version } = response.json()

      // A real failure: another connection holds the table, so every UPDATE hits lock_timeout.
      locker = new pg.Client({ connectionString: config.DATABASE_URL?.split('?')[0] })
      await locker.connect()
      await locker.query('begin')
      await locker.query('lock table products in access exclusive mode')
      worker = await startWorkerApp(config, app)

      let job: Job | undefined
      await expect
        .poll(async () => {
          job = await app.queue.getJob(persistJobId(2, version))
          return (job?.attemptsMade ?? 0) >= 1 // the first attempt failed…
        }, POLL)
        .toBe(true)
      // The reason names the error's code (55P03: lock_not_available), never the raw message,
      // which board users and GET /jobs/:id would see.
      expect(job?.failedReason).toBe(
        "A dependency failed (55P03); the job is retried with backoff. The worker's log has the details.",
      )
      expect(await rowOf(app, 2).catch(() => 'locked')).toBe('locked') // (the app's own reads time out too)
      await locker.query('commit') // …and the database is back

      await expect
        .poll(async () => (await job?.getState()) === 'completed', { ...POLL, timeout: 15_000 })
        .toBe(true)
      const done = await app.queue.getJob(persistJobId(2, version))
      expect(done?.attemptsMade).toBeGreaterThanOrEqual(2)
      expect(done?.returnvalue).toEqual({ productId: 2, outcome: 'persisted', version })
      expect(await rowOf(app, 2)).toMatchObject({ stock: 321, version })
    })
  },
)
