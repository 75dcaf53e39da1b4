import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { testDialects } from '../support/databases.js'

describe.each(testDialects)('the cache flow end to end on $name', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ SEED_PRODUCTS: '30' }, dialect)
  })
  afterAll(() => t.close())

  const read = (id: number) => t.app.inject({ method: 'GET', url: `/products/${id}` })

  it('miss → hit → write → miss with the new value → hit', async () => {
    expect((await read(10)).headers['x-cache']).toBe('MISS')
    const cached = await read(10)
    expect(cached.headers['x-cache']).toBe('HIT')
    expect(cached.json().data.review_count).toBeGreaterThan(0)

    const write = await t.app.inject({
      method: 'PATCH',
      url: '/products/10',
      headers: auth,
      payload: { name: `Renamed on ${dialect.name}` },
    })
    expect(write.statusCode).toBe(200)

    const fresh = await read(10)
    expect(fresh.headers['x-cache']).toBe('MISS')
    expect(fresh.json().data).toMatchObject({ name: `Renamed on ${dialect.name}`, version: 2 })
    expect((await read(10)).headers['x-cache']).toBe('HIT')
  })
  it('reads a batch in one query: the rows and their review aggregates, the order asked', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/products?ids=12,999999,11,12' })
    expect(response.statusCode).toBe(200)
    const { items, missing } = response.json()
    expect(items.map(({ id }: { id: number }) => id)).toEqual([12, 11, 12])
    expect(items[1].review_count).toBeGreaterThan(0)
    expect(missing).toEqual([999999])
    expect(response.headers['x-cache']).toBe('MISS')
  })
})
