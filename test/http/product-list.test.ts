import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'

describe('GET /products', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ SEED_PRODUCTS: '45' })
  })
  afterAll(() => t.close())

  it('pages through every product exactly once', async () => {
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `?limit=20&cursor=${cursor}` : '?limit=20'
      const response = await t.app.inject({ method: 'GET', url: `/products${query}` })
      expect(response.statusCode).toBe(200)
      const page = response.json()
      seen.push(...page.items.map((item: { id: number }) => item.id))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => i + 1))
  })

  it('defaults to 20 items', async () => {
    const page = (await t.app.inject({ method: 'GET', url: '/products' })).json()
    expect(page.items).toHaveLength(20)
    expect(page.next_cursor).toBe('20')
  })

  it.each(['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'cursor=abc', 'cursor=0', 'other=1'])(
    'answers 400 for ?%s',
    async (query) => {
      const response = await t.app.inject({ method: 'GET', url: `/products?${query}` })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ code: 'validation_failed' })
    },
  )

  it('accepts limit=100', async () => {
    const page = (await t.app.inject({ method: 'GET', url: '/products?limit=100' })).json()
    expect(page.items).toHaveLength(45)
    expect(page.next_cursor).toBeNull()
  })
})
