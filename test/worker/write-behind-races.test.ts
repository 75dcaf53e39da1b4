import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { type TestDialect, testDialects } from '../support/databases.js'
import {
  drained,
  PATIENT_REDIS,
  POLL,
  patchLater,
  pendingWrites,
  rowOf,
  startWorkerApp,
} from './write-behind-support.js'

/** How long the slow instance's product reads take, after the query (DB_EXTRA_LATENCY_MS). */
const SLOW_READ_MS = 1500

const postgres = testDialects.find((dialect) => dialect.name === 'postgres')

/**
 * Races a writer must not lose, set up so they happen every time: one instance reads the row
 * (to build a write on) slowly, while another writes and persists in between.
 */
describe('write-behind: races between writers', () => {
  let slow: TestApp | undefined
  let fast: FastifyInstance | undefined
  afterEach(async () => {
    await fast?.close()
    await slow?.close()
  })

  /** A slow API instance (no worker), and a fast one on the same data that runs the worker. */
  async function startPair() {
    slow = await startTestApp({
      DB_EXTRA_LATENCY_MS: String(SLOW_READ_MS),
      ...PATIENT_REDIS,
    })
    fast = await startWorkerApp(slow.config, slow.app, { ROLE: 'all', DB_EXTRA_LATENCY_MS: 0 })
    return { slow: slow.app, fast, config: slow.config }
  }

  it('a write built on a row read before another write was persisted is built again', async () => {
    const { slow, fast, config } = await startPair()
    const before = await rowOf(fast, 6)
    // The slow instance reads the row (nothing is pending): its query runs, then it waits 1.5 s…
    const slowReads = vi.spyOn(slow.database.db, 'selectFrom')
    const slowWrite = patchLater(slow, 6, { name: 'Slow writer' })
    await vi.waitFor(() => expect(slowReads).toHaveBeenCalled(), POLL)
    // …meanwhile the fast one stages a write and its worker persists it.
    const fastWrite = await patchLater(fast, 6, { stock: 55 })
    expect(fastWrite.json().version).toBe(before.version + 1)
    await expect.poll(async () => (await rowOf(fast, 6)).stock === 55, POLL).toBe(true)

    const slowAck = (await slowWrite).json()
    // Built on the persisted write, one version past it, not on the row it first read.
    expect(slowAck).toMatchObject({ name: 'Slow writer', stock: 55, version: before.version + 2 })
    await expect.poll(() => drained(fast, config), POLL).toBe(true)
    expect(await rowOf(fast, 6)).toMatchObject({ name: 'Slow writer', stock: 55 })
  })

  it('a write built on a row read before a synchronous write is built again', async () => {
    const { slow, fast, config } = await startPair()
    const before = await rowOf(fast, 8)
    // The slow instance's row read: its query runs, then it waits 1.5 s (DB_EXTRA_LATENCY_MS).
    const slowReads = vi.spyOn(slow.database.db, 'selectFrom')
    const slowWrite = patchLater(slow, 8, { name: 'Slow writer' })
    // Lands the synchronous write inside the slow read's 1.5 s window, once the read has begun
    // (were it to land before the read, the race would not happen and the test would pass
    // without proving anything).
    await vi.waitFor(() => expect(slowReads).toHaveBeenCalled(), POLL)
    const sync = await fast.inject({
      method: 'PATCH',
      url: '/products/8',
      headers: auth,
      payload: { stock: 66 },
    })
    expect(sync.statusCode).toBe(200)
    expect(sync.json().version).toBe(before.version + 1)

    const slowAck = (await slowWrite).json()
    expect(slowAck).toMatchObject({ name: 'Slow writer', stock: 66 })
    expect(slowAck.version).toBeGreaterThan(before.version + 1)
    await expect.poll(() => drained(fast, config), POLL).toBe(true)
    expect(await rowOf(fast, 8)).toMatchObject({ name: 'Slow writer', stock: 66 })
  })
})

describe.skipIf(postgres === undefined)('write-behind: writes that wait on the database', () => {
  let t: TestApp | undefined
  let worker: FastifyInstance | undefined
  let locker: pg.Client | undefined
  afterEach(async () => {
    await locker?.end().catch(() => {})
    await worker?.close()
    await t?.close()
  })

  /** A fresh app on PostgreSQL, and a connection of the test's own to lock things with. */
  async function start() {
    t = await startTestApp(PATIENT_REDIS, postgres as TestDialect)
    locker = new pg.Client({ connectionString: t.config.DATABASE_URL })
    await locker.connect()
    return { app: t.app, config: t.config, locker }
  }

  /** Until an UPDATE of the app's waits for a lock the test holds. */
  async function updateWaiting(app: FastifyInstance) {
    await expect
      .poll(async () => {
        // (Not on the locking connection: in a transaction, pg_stat_activity is a snapshot.)
        const { rows } = await sql`
        select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'update%'
      `.execute(app.database.db)
        return rows.length > 0
      }, POLL)
      .toBe(true)
  }

  it('a job persisting an older state leaves the write staged meanwhile to its own job', async () => {
    const { app, config, locker } = await start()
    // The job reads pending v(n+1), then waits on the locked table to write it…
    const first = (await patchLater(app, 9, { stock: 1 })).json()
    await locker.query('begin')
    await locker.query('lock table products in access exclusive mode')
    worker = await startWorkerApp(config, app)
    await updateWaiting(app)
    // …while a newer write is staged (on the pending state: no database read needed).
    const second = (await patchLater(app, 9, { stock: 2 })).json()
    expect(second.version).toBe(first.version + 1)
    await locker.query('commit')

    await expect.poll(() => drained(app, config), POLL).toBe(true)
    expect(await rowOf(app, 9)).toMatchObject({ stock: 2, version: second.version })
    const pending = pendingWrites(app, config)
    expect(await app.redis.hexists(pending.keyOf(9), 'state')).toBe(0)
  })

  it('no write is staged on a row while a synchronous write is replacing it', async () => {
    const { app, config, locker } = await start()
    worker = await startWorkerApp(config, app)
    const before = await rowOf(app, 10)
    // The synchronous write holds the product, then waits on the locked row…
    await locker.query('begin')
    await locker.query('select 1 from products where id = 10 for update')
    const sync = app.inject({
      method: 'PATCH',
      url: '/products/10',
      headers: auth,
      payload: { stock: 88 },
    })
    await updateWaiting(app)
    // …so a deferred write (which could read the row: plain reads do not wait) waits for it.
    const later = patchLater(app, 10, { name: 'Deferred' })
    const settledEarly = await Promise.race([later.then(() => true), sleep(300).then(() => false)])
    expect(settledEarly).toBe(false)
    await locker.query('commit')

    expect((await sync).json()).toMatchObject({ stock: 88, version: before.version + 1 })
    expect((await later).json()).toMatchObject({ stock: 88, name: 'Deferred' })
    await expect.poll(() => drained(app, config), POLL).toBe(true)
    expect(await rowOf(app, 10)).toMatchObject({ stock: 88, name: 'Deferred' })
  })
})
