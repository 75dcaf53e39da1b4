import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'

describe('GET /products/:id through the cache', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  const read = (id: number | string) => t.app.inject({ method: 'GET', url: `/products/${id}` })
  const productKey = (id: number, version = 1) =>
    `${t.config.REDIS_KEY_PREFIX}product:v${version}:${id}`

  it('misses, then hits, with the product in the body', async () => {
    const first = await read(1)
    expect(first.statusCode).toBe(200)
    expect(first.headers['x-cache']).toBe('MISS')
    expect(first.json()).toMatchObject({ source: 'db', data: { id: 1, version: 1 } })

    const second = await read(1)
    expect(second.headers['x-cache']).toBe('HIT')
    expect(second.json()).toEqual({ ...first.json(), source: 'cache' })
  })

  it('stores the entry at <prefix>product:v<version>:<id> for its fresh period plus grace', async () => {
    await read(2)
    const raw = await t.dependencies.redis.get(productKey(2))
    expect(raw).toContain('"sku"')
    const entry = JSON.parse(raw as string)
    expect(entry.freshUntil - entry.storedAt).toBe(300_000)
    const ttl = await t.dependencies.redis.pttl(productKey(2))
    expect(ttl).toBeGreaterThan(3_890_000) // 300 s fresh + 3,600 s grace
    expect(ttl).toBeLessThanOrEqual(3_900_000 * 1.1) // plus at most 10% jitter
  })

  it('reads the review aggregate with the product', async () => {
    const { data } = (await read(3)).json()
    expect(data.review_count).toBeGreaterThan(0)
    expect(data.average_rating).toBeGreaterThanOrEqual(1)
    expect(data.average_rating).toBeLessThanOrEqual(5)
  })

  it('misses again after explicit invalidation', async () => {
    await read(4)
    expect((await read(4)).headers['x-cache']).toBe('HIT')
    const invalidated = await t.app.inject({
      method: 'DELETE',
      url: '/products/cache/4',
      headers: auth,
    })
    expect(invalidated.statusCode).toBe(204)
    expect(await t.dependencies.redis.exists(productKey(4))).toBe(0)
    expect((await read(4)).headers['x-cache']).toBe('MISS')
  })

  it('treats a corrupt entry as a miss and overwrites it', async () => {
    await t.dependencies.redis.set(productKey(5), 'pen')
    const response = await read(5)
    expect(response.statusCode).toBe(200)
    expect(response.headers['x-cache']).toBe('MISS')
    expect((await read(5)).headers['x-cache']).toBe('HIT')
  })

  it('answers 404 problem+json for an unknown id, and caches that it is absent', async () => {
    const response = await read(999_999)
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status: 404, code: 'not_found' })
    const entry = JSON.parse((await t.dependencies.redis.get(productKey(999_999))) as string)
    expect(entry).toMatchObject({ absent: true })
    expect(entry).not.toHaveProperty('value')
    expect(await t.dependencies.redis.pttl(productKey(999_999))).toBeLessThanOrEqual(33_000)
  })

  it.each(['abc', '0', '-1', '1.5', '1e3', '0x10', '01', '2147483648', '99999999999', '%20'])(
    'answers 400 for the id %s',
    async (id) => {
      const response = await read(id)
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json()).toMatchObject({ status: 400, code: 'validation_failed' })
    },
  )

  it('accepts the largest id and answers 404', async () => {
    expect((await read(2_147_483_647)).statusCode).toBe(404)
  })
})

describe('versioned keys', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ CACHE_KEY_VERSION: '7' })
  })
  afterAll(() => t.close())

  it('starts at CACHE_KEY_VERSION and a bump makes every product miss', async () => {
    const version = await t.app.inject({ method: 'GET', url: '/cache/version' })
    expect(version.json()).toEqual({ version: 7 })

    for (const id of [1, 2, 3]) await t.app.inject({ method: 'GET', url: `/products/${id}` })
    const prefix = t.config.REDIS_KEY_PREFIX
    expect(await t.dependencies.redis.exists(`${prefix}product:v7:1`)).toBe(1)

    const bump = await t.app.inject({ method: 'POST', url: '/cache/version', headers: auth })
    expect(bump.statusCode).toBe(200)
    expect(bump.json()).toEqual({ version: 8 })
    expect(await t.dependencies.redis.get(`${prefix}product:version`)).toBe('8')

    for (const id of [1, 2, 3]) {
      const response = await t.app.inject({ method: 'GET', url: `/products/${id}` })
      expect(response.headers['x-cache']).toBe('MISS')
    }
    expect(await t.dependencies.redis.exists(`${prefix}product:v8:1`)).toBe(1)
    expect((await t.app.inject({ method: 'GET', url: '/cache/version' })).json()).toEqual({
      version: 8,
    })
  })

  it('needs the admin token to bump', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/cache/version' })
    expect(response.statusCode).toBe(401)
  })
})

describe('HTTP caching headers', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  const read = (id: number, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: `/products/${id}`, headers })

  it('names the tier that answered: none on a miss, l1 then l2 after L1 is dropped', async () => {
    const miss = await read(8)
    expect(miss.headers['x-cache-tier']).toBeUndefined()
    const hit = await read(8)
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(hit.headers['x-cache-tier']).toBe('l1')
  })

  it('answers an L1 hit with the bytes of a miss (serialized once per entry), new ones after a write', async () => {
    const miss = await read(11)
    const hit = await read(11)
    expect(hit.headers['x-cache-tier']).toBe('l1')
    expect(hit.headers['content-type']).toBe(miss.headers['content-type'])
    expect(hit.body).toBe(miss.body.replace('"source":"db"', '"source":"cache"'))
    expect((await read(11)).body).toBe(hit.body)

    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/products/11',
      headers: auth,
      payload: { stock: 7 },
    })
    expect(patched.statusCode).toBe(200)
    expect((await read(11)).json()).toMatchObject({ source: 'db', data: { stock: 7, version: 2 } })
    const after = await read(11)
    expect(after.headers['x-cache-tier']).toBe('l1')
    expect(after.json()).toMatchObject({ source: 'cache', data: { stock: 7, version: 2 } })
  })

  it('sends Cache-Control matching the cache policy', async () => {
    const response = await read(9)
    // 300 s fresh, less what has passed since the fill (a millisecond may round it down)
    expect(response.headers['cache-control']).toMatch(
      /^public, max-age=(299|300), stale-while-revalidate=3600$/,
    )
    const later = await read(9)
    expect(later.headers['cache-control']).toMatch(
      /^public, max-age=(299|300), stale-while-revalidate=3600$/,
    )
  })

  it('sends a weak ETag, as the body differs by source between a load and a hit', async () => {
    const load = await read(12)
    const hit = await read(12)
    expect(load.headers['x-cache']).toBe('MISS')
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(load.body).not.toBe(hit.body) // "source":"db", then "source":"cache"
    // A strong validator promises the same bytes: these two bodies share a weak one.
    expect(load.headers.etag).toBe('W/"1"')
    expect(hit.headers.etag).toBe('W/"1"')
    // The hits of one version are byte for byte the same.
    expect((await read(12)).body).toBe(hit.body)
  })

  it('answers If-None-Match with the current ETag by 304 and no body, comparing weakly', async () => {
    const { etag } = (await read(10)).headers
    expect(etag).toBe('W/"1"')
    // The read's own weak ETag, the strong one a write answers, either in a list, or *.
    for (const ifNoneMatch of ['W/"1"', '"1"', '"7", W/"1"', 'W/"7", "1"', '*']) {
      const response = await read(10, { 'if-none-match': ifNoneMatch })
      expect(response.statusCode, ifNoneMatch).toBe(304)
      expect(response.body).toBe('')
      expect(response.headers.etag).toBe('W/"1"')
    }
    expect((await read(10, { 'if-none-match': 'W/"2"' })).statusCode).toBe(200)
  })

  it('sends a new ETag after a write, so the old one no longer matches', async () => {
    const write = await t.app.inject({
      method: 'PATCH',
      url: '/products/10',
      headers: auth,
      payload: { stock: 2 },
    })
    // The write answers the product alone, one body per version: its ETag is strong.
    expect(write.headers.etag).toBe('"2"')
    const response = await read(10, { 'if-none-match': 'W/"1"' })
    expect(response.statusCode).toBe(200)
    expect(response.headers.etag).toBe('W/"2"')
    // What the write answered is current for a read too (weak comparison).
    expect((await read(10, { 'if-none-match': '"2"' })).statusCode).toBe(304)
  })
})
