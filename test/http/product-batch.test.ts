import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parsePrometheusText } from '../../bench/prometheus-text.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { PATIENT_REDIS, patchLater } from '../worker/write-behind-support.js'

// GET /products?ids=: many products in one request, one database query for the cold ones.

describe('GET /products?ids= (batch reads)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ ...PATIENT_REDIS, SEED_PRODUCTS: '120' })
  })
  afterAll(() => t.close())

  const batch = (ids: string) => t.app.inject({ method: 'GET', url: `/products?ids=${ids}` })

  /** How often the repository ran each query so far (db_query_duration_seconds_count). */
  async function queries(): Promise<Record<string, number>> {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    const counts: Record<string, number> = {}
    for (const { name, labels, value } of parsePrometheusText(text)) {
      const { operation } = labels
      if (name === 'db_query_duration_seconds_count' && operation) counts[operation] = value
    }
    return counts
  }

  it('answers the products in the order asked and the ids that are none, with X-Cache', async () => {
    const first = await batch('3,1,999999,1,4')
    expect(first.statusCode).toBe(200)
    expect(first.headers['x-cache']).toBe('MISS')
    const body = first.json()
    expect(body.items.map(({ id }: { id: number }) => id)).toEqual([3, 1, 1, 4])
    expect(body.missing).toEqual([999999])
    expect(body.items[0]).toMatchObject({ id: 3, version: 1, review_count: expect.any(Number) })

    const again = await batch('4,999999,3')
    expect(again.headers['x-cache']).toBe('HIT')
    expect(again.json().items.map(({ id }: { id: number }) => id)).toEqual([4, 3])
    expect(again.headers['cache-control']).toMatch(/^public, max-age=\d+, stale-while-revalidate=/)

    expect((await batch('1,6')).headers['x-cache']).toBe('MIXED')
  })

  it('costs one query for the cold ids, rows and review aggregates together, and none when warm', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => 20 + i).join(',')
    const before = await queries()
    const cold = await batch(ids)
    expect(cold.json().items).toHaveLength(50)
    const afterCold = await queries()
    expect((afterCold.find_products ?? 0) - (before.find_products ?? 0)).toBe(1)
    expect(afterCold.find_product ?? 0).toBe(before.find_product ?? 0)

    expect((await batch(ids)).headers['x-cache']).toBe('HIT')
    expect(await queries()).toEqual(afterCold)
  })

  it('shows a deferred write from its 202 on, as a single read does', async () => {
    await batch('7,8')
    const response = await patchLater(t.app, 7, { name: 'Renamed later' })
    expect(response.statusCode).toBe(202)
    const items = (await batch('7,8')).json().items
    expect(items[0]).toMatchObject({ id: 7, name: 'Renamed later', version: 2 })
  })

  it.each([
    ['abc', 'a word'],
    ['', 'an empty list'],
    ['1,,2', 'an empty id'],
    ['1,2,', 'a trailing comma'],
    ['0', 'zero'],
    ['1.5', 'a fraction'],
    ['2147483648', 'an id past the column'],
    [Array.from({ length: 101 }, (_, i) => i + 1).join(','), '101 ids'],
  ])('answers 400 problem+json in words for %j (%s)', async (ids) => {
    const response = await batch(ids)
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json().detail).toContain(
      'must be 1 to 100 ids separated by commas, each a whole number from 1 to 2147483647',
    )
  })

  it('answers 400 when ids come with a cursor or a limit', async () => {
    for (const url of ['/products?ids=1&limit=5', '/products?ids=1&cursor=3']) {
      const response = await t.app.inject({ method: 'GET', url })
      expect(response.statusCode).toBe(400)
      expect(response.json().detail).toBe('ids cannot be combined with cursor or limit')
    }
  })

  it('accepts exactly 100 ids', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => i + 1).join(',')
    const response = await batch(ids)
    expect(response.statusCode).toBe(200)
    expect(response.json().items).toHaveLength(100)
  })
})
