import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { testDialects } from '../support/databases.js'
import {
  drained,
  idsPending,
  PATIENT_REDIS,
  POLL,
  pendingWrites,
  RESPOND_ASYNC,
  rowOf,
  startWorkerApp,
} from '../worker/write-behind-support.js'

/** Text no database stores as sent (PostgreSQL refuses NUL and lone surrogates outright). */
const UNSTORABLE = {
  'a NUL': 'a\u0000b',
  'a lone surrogate': 'a\ud800b',
  'a C1 control character': 'a\u0085b',
  'a bell': 'a\u0007b',
}

const FULL = {
  sku: 'TEXT-1',
  name: 'Plain',
  description: 'Plain',
  price_cents: 100,
  currency: 'EUR',
  category: 'plain',
  stock: 1,
}

describe.each(testDialects)('text the database cannot store, on $name', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ ...PATIENT_REDIS, SEED_PRODUCTS: '5' }, dialect)
  })
  afterAll(() => t?.close())

  const whole = (field: string, text: string) => ({ ...FULL, [field]: text })
  const one = (field: string, text: string) => ({ [field]: text })
  const writes = [
    { label: 'POST', method: 'POST', url: '/products', headers: auth, body: whole },
    { label: 'PUT', method: 'PUT', url: '/products/1', headers: auth, body: whole },
    { label: 'PATCH', method: 'PATCH', url: '/products/1', headers: auth, body: one },
    {
      label: 'PATCH, deferred',
      method: 'PATCH',
      url: '/products/1',
      headers: RESPOND_ASYNC,
      body: one,
    },
  ] as const

  it.each(
    Object.entries(UNSTORABLE).flatMap(([what, text]) =>
      ['name', 'description', 'category'].map((field) => [what, field, text] as const),
    ),
  )(
    '%s in %s is a 400 on every write, before any 202, and changes nothing',
    async (_, field, text) => {
      const before = await rowOf(t.app, 1)
      for (const { label, method, url, headers, body } of writes) {
        const response = await t.app.inject({ method, url, headers, payload: body(field, text) })
        expect(response.statusCode, label).toBe(400)
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(response.json().detail).toContain(`/${field}`)
      }
      expect(await rowOf(t.app, 1)).toEqual(before)
      expect(await idsPending(pendingWrites(t.app, t.config))).toEqual([])
    },
  )

  it('takes tabs and line breaks in a description, and any well-formed text, as sent', async () => {
    const fields = {
      name: 'Café ☕ 😀 — "quoted"',
      description: 'line one\nline two\r\n\tindented',
      category: 'Küche',
    }
    expect(
      (await t.app.inject({ method: 'PATCH', url: '/products/2', headers: auth, payload: fields }))
        .statusCode,
    ).toBe(200)
    expect(await rowOf(t.app, 2)).toMatchObject(fields)

    const later = { ...fields, name: 'Später 😀' }
    const deferred = await t.app.inject({
      method: 'PATCH',
      url: '/products/3',
      headers: RESPOND_ASYNC,
      payload: later,
    })
    expect(deferred.statusCode).toBe(202)
    const worker = await startWorkerApp(t.config, t.app, { ROLE: 'worker' })
    try {
      await expect.poll(() => drained(t.app, t.config), POLL).toBe(true)
    } finally {
      await worker.close()
    }
    expect(await rowOf(t.app, 3)).toMatchObject(later)
  })
})
