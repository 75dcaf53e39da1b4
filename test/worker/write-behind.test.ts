import { setImmediate, setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { persistJobId } from '../../src/queues/persist-product-write.js'
import { auth, startTestApp } from '../support/app.js'
import { startCluster, type TestCluster } from '../support/cluster.js'
import {
  drained,
  idsPending,
  PATIENT_REDIS,
  POLL,
  patchLater,
  pendingWrites,
  readProduct,
  rowOf,
  startWorkerApp,
} from './write-behind-support.js'

describe('write-behind: read-your-writes before the database has the write', () => {
  let cluster: TestCluster
  let worker: FastifyInstance | undefined
  beforeAll(async () => {
    // A 1 s fresh period and no grace: an expired entry is gone, and the next read must load.
    cluster = await startCluster(3, {
      ...PATIENT_REDIS,
      CACHE_TTL_SECONDS: '1',
      CACHE_GRACE_SECONDS: '0',
    })
  })
  afterAll(async () => {
    await worker?.close()
    await cluster.close()
  })

  it('answers 202, then every instance reads the new value until and after it is persisted', async () => {
    const [a, b, c] = cluster.apps as [FastifyInstance, FastifyInstance, FastifyInstance]
    const id = 3
    const before = (await readProduct(a, id)).product
    for (const app of [a, b, c]) {
      await readProduct(app, id)
      expect((await readProduct(app, id)).xCache).toBe('HIT') // cached everywhere, L1 too
    }

    const response = await patchLater(a, id, { name: 'Renamed later', stock: 77 })
    expect(response.statusCode).toBe(202)
    expect(response.headers['preference-applied']).toBe('respond-async')
    expect(response.headers.location).toBeUndefined()
    const written = response.json()
    expect(written).toEqual({
      ...before,
      name: 'Renamed later',
      stock: 77,
      version: before.version + 1,
      updated_at: expect.any(String),
    })
    expect(response.headers.etag).toBe(`"${written.version}"`)
    expect(Date.parse(written.updated_at)).toBeGreaterThan(Date.parse(before.updated_at))

    // At once on the instance that took it; soon on the others (the bus drops their L1): within
    // a few ms as a rule. Bounded loosely (a loaded CI may stall any process for a while), the
    // figure reported.
    expect((await readProduct(a, id)).product).toEqual(written)
    const started = performance.now()
    const seenAfterMs: number[] = []
    for (const other of [b, c]) {
      await expect
        .poll(async () => (await readProduct(other, id)).product.version, { ...POLL, interval: 1 })
        .toBe(written.version)
      seenAfterMs.push(performance.now() - started)
      expect((await readProduct(other, id)).product).toEqual(written)
    }
    console.info(
      `deferred write on A seen on B and C after ${seenAfterMs.map((ms) => ms.toFixed(1))} ms`,
    )
    // No worker runs here (ROLE=api): the database still holds the old row.
    expect(await rowOf(a, id)).toMatchObject({ version: before.version, stock: before.stock })

    // The entry expires: the next read loads, and the loader finds the pending state first.
    await sleep(1_300)
    await setImmediate()
    const afterExpiry = await readProduct(b, id)
    expect(afterExpiry.xCache).toBe('MISS')
    expect(afterExpiry.product).toEqual(written)

    // Every key moves to a new version: still the pending state.
    const bump = await a.inject({ method: 'POST', url: '/cache/version', headers: auth })
    expect(bump.statusCode).toBe(200)
    await expect.poll(async () => b.catalog.keyVersion === bump.json().version, POLL).toBe(true)
    expect(await readProduct(b, id)).toEqual({ product: written, xCache: 'MISS' })

    // An explicit invalidation: still the pending state.
    const drop = await c.inject({ method: 'DELETE', url: `/products/cache/${id}`, headers: auth })
    expect(drop.statusCode).toBe(204)
    expect(await readProduct(c, id)).toEqual({ product: written, xCache: 'MISS' })
    expect(await rowOf(a, id)).toMatchObject({ version: before.version })

    // Now a worker runs: it persists the write, and the pending state is gone.
    worker = await startWorkerApp(cluster.config, a)
    await expect.poll(() => drained(a, cluster.config), POLL).toBe(true)
    expect(await rowOf(a, id)).toMatchObject({
      name: 'Renamed later',
      stock: 77,
      version: written.version,
    })
    const pending = pendingWrites(a, cluster.config)
    expect(await a.redis.hexists(pending.keyOf(id), 'state')).toBe(0)
    expect(await idsPending(pending)).not.toContain(id)
    expect(await a.redis.pttl(pending.keyOf(id))).toBeGreaterThan(0) // only a fence, expiring
    const job = await a.queue.getJob(persistJobId(id, written.version))
    expect(await job?.getState()).toBe('completed')
    expect(job?.returnvalue).toEqual({
      productId: id,
      outcome: 'persisted',
      version: written.version,
    })
    expect((await readProduct(c, id)).product).toMatchObject({
      stock: 77,
      version: written.version,
    })
  })
})

describe('write-behind: the HTTP contract', () => {
  it('defers every PUT and PATCH with WRITE_MODE=behind, but not create and delete', async () => {
    const t = await startTestApp({ ...PATIENT_REDIS, WRITE_MODE: 'behind' })
    try {
      const patch = await t.app.inject({
        method: 'PATCH',
        url: '/products/1',
        headers: auth,
        payload: { stock: 3 },
      })
      expect(patch.statusCode).toBe(202)
      expect(patch.headers['preference-applied']).toBe('respond-async')

      const current = patch.json()
      const {
        id: _,
        version: __,
        created_at,
        updated_at,
        review_count,
        average_rating,
        ...fields
      } = current
      const put = await t.app.inject({
        method: 'PUT',
        url: '/products/1',
        headers: { ...auth, 'if-match': `"${current.version}"` },
        payload: { ...fields, name: 'Put later' },
      })
      expect(put.statusCode).toBe(202)
      expect(put.json()).toMatchObject({
        name: 'Put later',
        stock: 3,
        version: current.version + 1,
      })

      const created = await t.app.inject({
        method: 'POST',
        url: '/products',
        headers: auth,
        payload: { ...fields, sku: 'NEW-SKU-1' },
      })
      expect(created.statusCode).toBe(201)
      expect(created.headers['preference-applied']).toBeUndefined()
      const removed = await t.app.inject({
        method: 'DELETE',
        url: `/products/${created.json().id}`,
        headers: { ...auth, prefer: 'respond-async' },
      })
      expect(removed.statusCode).toBe(204)
    } finally {
      await t.close()
    }
  })

  it('checks If-Match against the pending state, and 404s a product that does not exist', async () => {
    const t = await startTestApp(PATIENT_REDIS)
    try {
      const first = await patchLater(t.app, 2, { stock: 1 })
      expect(first.statusCode).toBe(202)
      const version = first.json().version
      const stale = await patchLater(t.app, 2, { stock: 2 }, { 'if-match': `"${version - 1}"` })
      expect(stale.statusCode).toBe(412)
      expect(stale.json()).toMatchObject({ code: 'precondition_failed', current_version: version })
      const fresh = await patchLater(t.app, 2, { stock: 2 }, { 'if-match': `"${version}"` })
      expect(fresh.statusCode).toBe(202)
      expect(fresh.json()).toMatchObject({ stock: 2, version: version + 1 })

      expect((await patchLater(t.app, 999_999, { stock: 1 })).statusCode).toBe(404)
      // A synchronous write, without Prefer, answers 200 as before.
      const sync = await t.app.inject({
        method: 'PATCH',
        url: '/products/5',
        headers: auth,
        payload: { stock: 9 },
      })
      expect(sync.statusCode).toBe(200)
      expect(sync.headers['preference-applied']).toBeUndefined()
    } finally {
      await t.close()
    }
  })

  it('persists a pending write before a synchronous write to the same product', async () => {
    const t = await startTestApp(PATIENT_REDIS) // no worker: only the synchronous write can persist it
    try {
      const later = await patchLater(t.app, 4, { name: 'Staged first' })
      expect(later.statusCode).toBe(202)
      const sync = await t.app.inject({
        method: 'PATCH',
        url: '/products/4',
        headers: auth,
        payload: { stock: 11 },
      })
      expect(sync.statusCode).toBe(200)
      // Built on the staged state, and one version past it: the staged write was not overtaken.
      expect(sync.json()).toMatchObject({
        name: 'Staged first',
        stock: 11,
        version: later.json().version + 1,
      })
      expect(await rowOf(t.app, 4)).toMatchObject({ name: 'Staged first', stock: 11 })
      expect(await drained(t.app, t.config)).toBe(false) // its job is still queued: a no-op now
    } finally {
      await t.close()
    }
  })
})
