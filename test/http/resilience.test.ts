import { setImmediate as nextTurn } from 'node:timers/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parsePrometheusText, sumSamples } from '../../bench/prometheus-text.js'
import { startTestApp, type TestApp } from '../support/app.js'

/** Eight readers on one product for 2.5 s, while its 1 s fresh period passes twice. */
async function driveHotKey(app: TestApp['app']) {
  expect((await app.inject({ method: 'GET', url: '/products/1' })).headers['x-cache']).toBe('MISS')
  const seen: Record<string, number> = { HIT: 0, STALE: 0, MISS: 0 }
  let slowest = 0
  const until = Date.now() + 2500
  const reader = async () => {
    while (Date.now() < until) {
      const started = performance.now()
      const response = await app.inject({ method: 'GET', url: '/products/1' })
      slowest = Math.max(slowest, performance.now() - started)
      const status = String(response.headers['x-cache'])
      seen[status] = (seen[status] ?? 0) + 1
      await nextTurn() // let timers and I/O run, as real traffic would
    }
  }
  await Promise.all(Array.from({ length: 8 }, reader))
  return { seen, slowest, loads: await loads(app) }
}

describe('a hot key passing its fresh period under load, with a 100 ms database', () => {
  let t: TestApp | undefined
  afterEach(() => t?.close())
  const env = { CACHE_TTL_SECONDS: '1', DB_EXTRA_LATENCY_MS: '100' }

  it.each([
    ['early refresh (XFetch) on', '1'],
    ['early refresh off: stale-while-revalidate alone', '0'],
  ])('never makes a request wait for the loader, %s', async (_, beta) => {
    t = await startTestApp({ ...env, CACHE_EARLY_REFRESH_BETA: beta })
    const { seen, slowest, loads } = await driveHotKey(t.app)
    console.info(
      `hot key, beta ${beta}: ${JSON.stringify(seen)}, ${loads} loads, slowest ${slowest.toFixed(1)} ms`,
    )
    expect(seen.MISS).toBe(0)
    expect(loads).toBeGreaterThanOrEqual(2) // refreshed in the background
  })

  it('makes requests wait at every expiry with CACHE_STRATEGY=naive (the test can fail)', async () => {
    t = await startTestApp({ ...env, CACHE_STRATEGY: 'naive' })
    const { seen, slowest, loads } = await driveHotKey(t.app)
    console.info(
      `hot key, naive: ${JSON.stringify(seen)}, ${loads} loads, slowest ${slowest.toFixed(1)} ms`,
    )
    expect(seen.MISS).toBeGreaterThan(0)
  })
})

describe('the database goes down', () => {
  let t: TestApp | undefined
  afterEach(() => t?.close())

  it('serves hot keys STALE, answers cold ones 503, and does not hammer it', async () => {
    t = await startTestApp({ CACHE_TTL_SECONDS: '1' })
    const { app } = t
    const read = (id: number) => app.inject({ method: 'GET', url: `/products/${id}` })
    for (const id of [1, 2]) expect((await read(id)).headers['x-cache']).toBe('MISS')

    await t.dependencies.database.close() // every query now fails
    // Both pass their 1 s fresh period; until then they are plain hits, and every answer a 200.
    const statuses = new Set<number>()
    const response = await vi.waitFor(
      async () => {
        const [one, two] = [await read(1), await read(2)]
        statuses.add(one.statusCode).add(two.statusCode)
        expect([one.headers['x-cache'], two.headers['x-cache']]).toEqual(['STALE', 'STALE'])
        return one
      },
      { timeout: 5000, interval: 50 },
    )
    expect([...statuses]).toEqual([200])
    expect(response.json()).toMatchObject({ source: 'cache', data: { id: 1 } })
    expect(response.headers['cache-control']).toMatch(/max-age=0/)

    const loadsBefore = await loads(app)
    for (let i = 0; i < 20; i++) {
      const again = await read(1 + (i % 2))
      expect(again.statusCode).toBe(200)
      expect(again.headers['x-cache']).toBe('STALE')
    }
    // Fail-safe backoff: a failed refresh is not retried on every read.
    expect((await loads(app)) - loadsBefore).toBeLessThanOrEqual(2)

    const cold = await read(3)
    expect(cold.statusCode).toBe(503)
    expect(cold.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(cold.json()).toMatchObject({ code: 'service_unavailable' })
  })
})

async function loads(app: TestApp['app']) {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
  return sumSamples(parsePrometheusText(text), 'cache_loads_total', { cache: 'product' })
}
