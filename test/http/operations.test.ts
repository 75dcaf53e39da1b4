import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'

describe('operations routes', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  it('GET / names the service and links to the rest', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({
      name: 'caching-strategies',
      links: { docs: '/docs', metrics: '/metrics' },
    })
  })

  it('GET /health is 200 and /ready is 200 with both dependencies up', async () => {
    const redisAt = `${new URL(t.config.REDIS_URL).hostname}:${new URL(t.config.REDIS_URL).port || 6379}`
    expect((await t.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({
      status: 'ok',
      redis: { mode: 'standalone', masters: [redisAt], nodes: [redisAt] },
    })
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready', checks: { redis: 'up', database: 'up' } })
  })

  it('documents every route in OpenAPI at /docs/json, and serves Swagger UI at /docs', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(spec.openapi).toMatch(/^3\./)
    const operations = Object.entries(spec.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort()
    expect(operations).toEqual(
      [
        'GET /',
        'GET /health',
        'GET /ready',
        'GET /metrics',
        'GET /products',
        'POST /products',
        'GET /products/{id}',
        'PUT /products/{id}',
        'PATCH /products/{id}',
        'DELETE /products/{id}',
        'DELETE /products/cache/{id}',
        'GET /cache/version',
        'POST /cache/version',
        'DELETE /cache/categories/{category}',
        'POST /products/{id}/regenerate',
        'GET /jobs/{id}',
        'GET /stats',
      ].sort(),
    )
    for (const [path, methods] of Object.entries(spec.paths as Record<string, object>)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).not.toHaveLength(0)
      }
    }
    const ui = await t.app.inject({ method: 'GET', url: '/docs' })
    expect([200, 302]).toContain(ui.statusCode)
  })

  it('GET /metrics exports cache and HTTP metrics with bounded labels', async () => {
    await t.app.inject({ method: 'GET', url: '/products/1' })
    await t.app.inject({ method: 'GET', url: '/products/1' })
    await t.app.inject({ method: 'GET', url: '/products/2' })
    const response = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/plain/)
    const text = response.body
    expect(text).toMatch(/^cache_hits_total\{cache="product",tier="l1"\} 1$/m)
    expect(text).toMatch(/^cache_misses_total\{cache="product"\} 2$/m)
    expect(text).toMatch(/^cache_loads_total\{cache="product"\} 2$/m)
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/products\/:id",status_code="200"\} 3$/m,
    )
    expect(text).toMatch(/^process_cpu_seconds_total /m)
    expect(text).not.toMatch(/\/products\/1"/) // a raw URL as a label would be an unbounded series
  })
})
