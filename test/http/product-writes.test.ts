import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, auth, startTestApp, type TestApp } from '../support/app.js'

const newProduct = (sku: string) => ({
  sku,
  name: 'Teaching mug',
  description: 'Holds coffee and cache keys',
  price_cents: 1299,
  currency: 'EUR',
  category: 'kitchen',
  stock: 12,
})

describe('product writes', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  const inject = (options: InjectOptions) => t.app.inject(options)
  const read = (id: number) => inject({ method: 'GET', url: `/products/${id}` })

  it('creates a product: 201, Location, ETag, then readable', async () => {
    const response = await inject({
      method: 'POST',
      url: '/products',
      headers: auth,
      payload: newProduct('MUG-1'),
    })
    expect(response.statusCode).toBe(201)
    const product = response.json()
    expect(product).toMatchObject({ ...newProduct('MUG-1'), version: 1, review_count: 0 })
    expect(product.average_rating).toBeNull()
    expect(response.headers.location).toBe(`/products/${product.id}`)
    expect(response.headers.etag).toBe('"1"')
    expect((await read(product.id)).json().data).toEqual(product)
  })

  it('PUT replaces, bumps the version and invalidates the cached entry', async () => {
    await read(1)
    expect((await read(1)).headers['x-cache']).toBe('HIT')
    const response = await inject({
      method: 'PUT',
      url: '/products/1',
      headers: auth,
      payload: newProduct('REPLACED-1'),
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ ...newProduct('REPLACED-1'), id: 1, version: 2 })
    const after = await read(1)
    expect(after.headers['x-cache']).toBe('MISS')
    expect(after.json().data).toMatchObject({ sku: 'REPLACED-1', version: 2 })
  })

  it('PATCH changes some fields, bumps the version and invalidates', async () => {
    await read(2)
    const response = await inject({
      method: 'PATCH',
      url: '/products/2',
      headers: auth,
      payload: { price_cents: 1 },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ id: 2, price_cents: 1, version: 2 })
    const after = await read(2)
    expect(after.headers['x-cache']).toBe('MISS')
    expect(after.json().data.price_cents).toBe(1)
  })

  it('honours If-Match: the current version writes, a stale one is 412', async () => {
    const read3 = await read(3)
    expect(read3.headers.etag).toBe('W/"1"') // weak: If-Match takes the version, strong
    const current = `"${read3.json().data.version}"`
    const stale = await inject({
      method: 'PATCH',
      url: '/products/3',
      headers: { ...auth, 'if-match': '"99"' },
      payload: { stock: 1 },
    })
    expect(stale.statusCode).toBe(412)
    expect(stale.json()).toMatchObject({ code: 'precondition_failed', current_version: 1 })

    const fresh = await inject({
      method: 'PATCH',
      url: '/products/3',
      headers: { ...auth, 'if-match': current },
      payload: { stock: 1 },
    })
    expect(fresh.statusCode).toBe(200)
    expect(fresh.headers.etag).toBe('"2"')
    // A write's own ETag is strong: it chains into the next write's If-Match.
    const chained = await inject({
      method: 'PATCH',
      url: '/products/3',
      headers: { ...auth, 'if-match': String(fresh.headers.etag) },
      payload: { stock: 2 },
    })
    expect(chained.statusCode).toBe(200)
    expect(chained.headers.etag).toBe('"3"')

    const replay = await inject({
      method: 'PUT',
      url: '/products/3',
      headers: { ...auth, 'if-match': current },
      payload: newProduct('REPLAY-3'),
    })
    expect(replay.statusCode).toBe(412)
    const removal = await inject({
      method: 'DELETE',
      url: '/products/3',
      headers: { ...auth, 'if-match': current },
    })
    expect(removal.statusCode).toBe(412)
    expect((await read(3)).statusCode).toBe(200)
  })

  it.each(['W/"1"', '"1", "2"', 'abc', '"x"'])('answers 400 for If-Match: %s', async (ifMatch) => {
    const response = await inject({
      method: 'PATCH',
      url: '/products/4',
      headers: { ...auth, 'if-match': ifMatch },
      payload: { stock: 1 },
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'invalid_if_match' })
  })

  it("says what to send instead of a read's weak ETag", async () => {
    const { etag } = (await read(4)).headers
    const response = await inject({
      method: 'PATCH',
      url: '/products/4',
      headers: { ...auth, 'if-match': String(etag) },
      payload: { stock: 1 },
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().detail).toBe(
      'If-Match compares strong ETags, and W/"1" is weak (a read\'s ETag): send "1", the ' +
        "product's version in quotes",
    )
  })

  it('DELETE removes the product and its entry: 204, then 404', async () => {
    await read(5)
    const response = await inject({ method: 'DELETE', url: '/products/5', headers: auth })
    expect(response.statusCode).toBe(204)
    expect(response.body).toBe('')
    expect((await read(5)).statusCode).toBe(404)
    const again = await inject({ method: 'DELETE', url: '/products/5', headers: auth })
    expect(again.statusCode).toBe(404)
  })

  it('answers 409 for a duplicate SKU, on create and on update', async () => {
    const taken = (await read(6)).json().data.sku
    const create = await inject({
      method: 'POST',
      url: '/products',
      headers: auth,
      payload: newProduct(taken),
    })
    expect(create.statusCode).toBe(409)
    expect(create.json()).toMatchObject({ code: 'duplicate_sku' })
    const update = await inject({
      method: 'PATCH',
      url: '/products/7',
      headers: auth,
      payload: { sku: taken },
    })
    expect(update.statusCode).toBe(409)
    expect((await read(7)).json().data.version).toBe(1)
  })

  it('answers 404 for writes to an unknown product', async () => {
    for (const method of ['PUT', 'PATCH'] as const) {
      const response = await inject({
        method,
        url: '/products/999999',
        headers: auth,
        payload: method === 'PUT' ? newProduct('NOPE') : { stock: 1 },
      })
      expect(response.statusCode).toBe(404)
    }
  })
})

describe('bad input is a 4xx problem+json and changes nothing', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown field', { ...newProduct('X-1'), colour: 'red' }, 'validation_failed'],
    ['a missing field', { name: 'only a name' }, 'validation_failed'],
    ['a string price', { ...newProduct('X-2'), price_cents: '12' }, 'validation_failed'],
    ['a negative stock', { ...newProduct('X-3'), stock: -1 }, 'validation_failed'],
    ['a fractional price', { ...newProduct('X-4'), price_cents: 1.5 }, 'validation_failed'],
    ['a bad currency', { ...newProduct('X-5'), currency: 'euro' }, 'validation_failed'],
    ['a null name', { ...newProduct('X-6'), name: null }, 'validation_failed'],
  ]

  it.each(cases)('POST with %s → 400', async (_, payload, code) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/products',
      headers: auth,
      payload,
    })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status: 400, code })
  })

  it('PATCH with an unknown field or nothing at all → 400', async () => {
    for (const payload of [{ colour: 'red' }, {}, { stock: 'many' }]) {
      const response = await t.app.inject({
        method: 'PATCH',
        url: '/products/1',
        headers: auth,
        payload,
      })
      expect(response.statusCode).toBe(400)
    }
    const product = (await t.app.inject({ method: 'GET', url: '/products/1' })).json().data
    expect(product.version).toBe(1)
  })

  it('malformed JSON → 400 invalid_json', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/products',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"sku": "X-7",',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'invalid_json' })
  })

  it('an empty JSON body → 400', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/products',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '',
    })
    expect(response.statusCode).toBe(400)
  })

  it('a body over 64 KB → 413', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/products',
      headers: auth,
      payload: { ...newProduct('X-8'), description: 'x'.repeat(70_000) },
    })
    expect(response.statusCode).toBe(413)
    expect(response.json()).toMatchObject({ code: 'payload_too_large' })
  })

  it('a body that is not JSON → 415', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/products',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'sku=X-9',
    })
    expect(response.statusCode).toBe(415)
    expect(response.json()).toMatchObject({ code: 'unsupported_media_type' })
  })

  it('an unknown route → 404 problem+json', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/nope' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ code: 'route_not_found' })
  })
})

describe('admin auth', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  const adminRoutes = [
    { method: 'POST', url: '/products', payload: newProduct('AUTH-1') },
    { method: 'PUT', url: '/products/1', payload: newProduct('AUTH-2') },
    { method: 'PATCH', url: '/products/1', payload: { stock: 3 } },
    { method: 'DELETE', url: '/products/1' },
    { method: 'DELETE', url: '/products/cache/1' },
    { method: 'POST', url: '/cache/version' },
  ] as const

  it.each(adminRoutes)('$method $url → 401 without a token, or with a wrong one', async (route) => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
      { authorization: 'Basic dGVzdDp0ZXN0' },
      { authorization: 'Bearer ' },
    ]) {
      const response = await t.app.inject({ ...route, headers })
      expect(response.statusCode).toBe(401)
      expect(response.headers['www-authenticate']).toBe('Bearer')
      expect(response.json()).toMatchObject({ code: 'unauthorized' })
    }
    const product = (await t.app.inject({ method: 'GET', url: '/products/1' })).json().data
    expect(product.version).toBe(1)
  })

  it('generates a token when ADMIN_TOKEN is unset, and accepts only that', async () => {
    const { buildApp } = await import('../../src/app.js')
    const lines: string[] = []
    const config = { ...t.config, ADMIN_TOKEN: undefined, LOG_LEVEL: 'warn' as const }
    const app = await buildApp(config, t.dependencies, {
      logStream: { write: (line: string) => lines.push(line) },
    })
    try {
      const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.adminToken)
      expect(logged?.adminToken).toMatch(/^[\w-]{32}$/)
      const bump = (authorization: string) =>
        app.inject({ method: 'POST', url: '/cache/version', headers: { authorization } })
      expect((await bump(`Bearer ${ADMIN_TOKEN}`)).statusCode).toBe(401)
      expect((await bump(`Bearer ${logged.adminToken}`)).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })
})
