import { afterEach, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { idsPending, PATIENT_REDIS, pendingWrites, rowOf } from './write-behind-support.js'

// The API's schema refuses text no database stores (test/http/stored-text.test.ts), so this
// reaches the catalog directly: should such text get past it, Redis's JSON decoder (cjson, in
// stage.lua) refuses a lone surrogate that JSON.stringify escapes. That is the write's fault: a
// 400 at once, not a 503 after the staging call is retried for 5 s.

let t: TestApp | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

it('a deferred write Redis cannot decode is refused as invalid at once, and nothing is staged', async () => {
  t = await startTestApp(PATIENT_REDIS)
  const before = await rowOf(t.app, 1)
  const started = performance.now()
  const write = t.app.catalog.update(1, { name: 'half a pair: \ud800' }, undefined, {
    respondAsync: true,
  })
  await expect(write).rejects.toMatchObject({ code: 'validation_failed', status: 400 })
  expect(performance.now() - started).toBeLessThan(2000) // not retried until the 5 s deadline
  expect(await idsPending(pendingWrites(t.app, t.config))).toEqual([])
  expect(await rowOf(t.app, 1)).toEqual(before)
})
