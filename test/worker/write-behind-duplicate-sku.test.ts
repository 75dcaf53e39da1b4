import { afterEach, describe, expect, it } from 'vitest'
import { persistJobId } from '../../src/queues/persist-product-write.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { testDialects } from '../support/databases.js'
import {
  idsPending,
  PATIENT_REDIS,
  patchLater,
  pendingWrites,
  readProduct,
  rowOf,
} from './write-behind-support.js'

// Issue 16: a deferred write is acknowledged only when the database will take it. A SKU another
// product has would be refused by the job after the 202: an acknowledged write lost to input the
// service accepted. Checked before staging, on both databases.

describe.each(testDialects)('write-behind on $name: a SKU another product has', (dialect) => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('is refused with 409 before any 202: nothing staged, nothing queued, the row unchanged', async () => {
    t = await startTestApp(PATIENT_REDIS, dialect)
    const { app, config } = t
    const other = (await readProduct(app, 2)).product
    const before = await rowOf(app, 1)

    const response = await patchLater(app, 1, { sku: other.sku, stock: 5 })
    expect(response.statusCode).toBe(409)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ code: 'duplicate_sku' })
    expect(await idsPending(pendingWrites(app, config))).toEqual([])
    expect(await app.queue.getJob(persistJobId(1, before.version + 1))).toBeUndefined()
    expect(await rowOf(app, 1)).toEqual(before)
  })

  it('is its own SKU for the product that has it: deferred as usual', async () => {
    t = await startTestApp(PATIENT_REDIS, dialect)
    const own = (await readProduct(t.app, 1)).product
    const response = await patchLater(t.app, 1, { sku: own.sku, stock: 6 })
    expect(response.statusCode).toBe(202)
    expect(response.json()).toMatchObject({ sku: own.sku, stock: 6 })
  })
})
