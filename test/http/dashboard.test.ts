import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Stats, StatsSchema } from '../../src/http/schemas/stats.js'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { type RedisServer, startRedisServer } from '../support/redis.js'

const ASSETS = {
  '/dashboard': 'text/html',
  '/dashboard/dashboard.js': 'text/javascript',
  '/dashboard/dashboard.css': 'text/css',
} as const

async function readStats(t: TestApp): Promise<Stats> {
  const response = await t.app.inject({ method: 'GET', url: '/stats' })
  expect(response.statusCode).toBe(200)
  const stats: unknown = response.json()
  if (!Value.Check(StatsSchema, stats)) {
    throw new Error(`/stats does not match its schema: ${JSON.stringify(stats)}`)
  }
  return stats
}

/** Reads /stats until `ready` holds (rates need two samples, at least 0.5 s apart). */
function statsWhen(t: TestApp, ready: (stats: Stats) => boolean) {
  return vi.waitFor(
    async () => {
      const stats = await readStats(t)
      if (!ready(stats)) throw new Error(`/stats does not show it yet: ${JSON.stringify(stats)}`)
      return stats
    },
    { timeout: 10_000, interval: 100 },
  )
}

describe('the dashboard page', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  it('serves the page, its script and its style sheet from the service, nothing from elsewhere', async () => {
    for (const [url, type] of Object.entries(ASSETS)) {
      const response = await t.app.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBe(200)
      expect(response.headers['content-type'], url).toContain(type)
      expect(response.headers['content-security-policy'], url).toContain("default-src 'none'")
      expect(response.headers['x-content-type-options']).toBe('nosniff')
    }
    const html = (await t.app.inject({ method: 'GET', url: '/dashboard' })).body
    const references = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map(([, url]) => url)
    expect(references).toEqual(
      expect.arrayContaining(['/dashboard/dashboard.js', '/dashboard/dashboard.css']),
    )
    for (const url of references) expect(url).toMatch(/^(\/dashboard\/|data:)/) // no CDN
    expect(html).not.toMatch(/<script>|style="/) // nothing inline: the CSP forbids it
  })

  it('answers 304 to a browser that holds the current version of a file', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/dashboard/dashboard.js' })
    const etag = String(first.headers.etag)
    const again = await t.app.inject({
      method: 'GET',
      url: '/dashboard/dashboard.js',
      headers: { 'if-none-match': etag },
    })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    // Compared weakly, as RFC 9110 asks, in a list as a browser may send.
    const listed = await t.app.inject({
      method: 'GET',
      url: '/dashboard/dashboard.js',
      headers: { 'if-none-match': `"other", W/${etag}` },
    })
    expect(listed.statusCode).toBe(304)
  })

  it('documents GET /stats with its schema, and leaves the page out of the OpenAPI document', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(spec.paths['/stats'].get.responses['200'].content['application/json'].schema).toEqual(
      expect.objectContaining({ type: 'object' }),
    )
    const documented = Object.keys(spec.paths)
    expect(documented.filter((path) => path.startsWith('/dashboard'))).toEqual([])
  })
})

describe('GET /stats', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  it('leaves out the requests of whoever watches: scrapes, probes and the dashboard', async () => {
    const watching = ['/stats', '/metrics', '/health', '/ready', '/dashboard']
    await readStats(t)
    for (const url of watching) await t.app.inject({ method: 'GET', url })
    const stats = await statsWhen(t, (s) => s.window_seconds > 0)
    expect(stats.http.requests_per_second).toBe(0)
    expect(stats.http.latency_ms.p50).toBeNull()
  })

  it('shows the state of Redis, the database and the queue, and the key version', async () => {
    const stats = await readStats(t)
    expect(stats.key_version).toBe(1)
    expect(stats.redis.state).toBe('up')
    expect(stats.redis.info?.version).toMatch(/^\d+\.\d+/)
    expect(stats.redis.info?.used_memory_bytes).toBeGreaterThan(0)
    expect(stats.redis.info?.connected_clients).toBeGreaterThan(0)
    expect(stats.database).toMatchObject({ state: 'up', dialect: 'sqlite' })
    expect(stats.queue).toMatchObject({ name: 'catalog', state: 'up', depth: 0 })
    expect(stats.cache.circuit).toBe('closed')
    expect(stats.cache.l1).not.toBeNull()
  })

  it('turns traffic into rates, hit ratios and latency percentiles', async () => {
    await readStats(t) // the window's first sample
    for (let round = 0; round < 5; round++) {
      for (let id = 1; id <= 4; id++) await t.app.inject({ method: 'GET', url: `/products/${id}` })
    }
    const stats = await statsWhen(t, (s) => (s.http.requests_per_second ?? 0) > 0)
    expect(stats.window_seconds).toBeGreaterThan(0)
    expect(stats.cache.reads_per_second).toBeGreaterThan(0)
    // 20 reads of 4 products: 4 misses (database loads), then 16 L1 hits.
    expect(stats.cache.hit_ratio.l1).toBeCloseTo(16 / 20, 2)
    expect(stats.cache.hit_ratio.overall).toBeCloseTo(16 / 20, 2)
    expect(stats.cache.db_load_saved).toBeCloseTo(16 / 20, 2)
    expect(stats.cache.db_loads_per_second).toBeGreaterThan(0)
    expect(stats.database.queries_per_second).toBeGreaterThan(0)
    expect(stats.cache.totals).toMatchObject({ hits_l1: 16, misses: 4, loads: 4 })
    const { p50, p95, p99 } = stats.http.latency_ms
    expect(p50).toBeGreaterThan(0)
    expect(p50).toBeLessThanOrEqual(p95 ?? 0)
    expect(p95).toBeLessThanOrEqual(p99 ?? 0)
    expect(stats.cache.l1?.entries).toBeGreaterThan(0)
  })

  it('follows a version bump', async () => {
    const bumped = await t.app.inject({ method: 'POST', url: '/cache/version', headers: auth })
    const { version } = bumped.json()
    expect((await readStats(t)).key_version).toBe(version)
  })
})

describe('GET /stats while Redis is down', () => {
  let redis: RedisServer
  let t: TestApp
  beforeAll(async () => {
    redis = await startRedisServer()
    t = await startTestApp({ REDIS_URL: redis.url })
  })
  afterAll(async () => {
    await t?.close().catch(() => undefined) // its Redis may be gone: nothing to clean there
    await redis?.stop()
  })

  it('still answers, quickly, with Redis and the queue down and the database up; then recovers', async () => {
    expect((await readStats(t)).redis.state).toBe('up')
    await redis.kill()
    const started = performance.now()
    const stats = await statsWhen(t, (s) => s.redis.state === 'down') // INFO is kept for 1 s
    expect(performance.now() - started).toBeLessThan(5000)
    expect(stats.redis.info).toBeNull()
    expect(stats.queue).toMatchObject({ state: 'down', depth: null, counts: null })
    expect(stats.database.state).toBe('up')

    await redis.restart()
    // Back by themselves; and the app is closed on ready connections, not on ones still
    // reconnecting (whose ready check a close would cut off).
    const back = await statsWhen(t, (s) => s.redis.state === 'up' && s.queue.state === 'up')
    expect(back.redis.info).not.toBeNull()
  })
})
