import { afterEach, describe, expect, it } from 'vitest'
import { parsePrometheusText, type Sample } from '../../bench/prometheus-text.js'
import { auth, startTestApp, type TestApp } from '../support/app.js'

/** The closed label sets the issue promises; anything else in these labels is a bug. */
const CLOSED_LABELS: Record<string, readonly string[]> = {
  operation: [
    // db_query_duration_seconds
    'find_product',
    'find_products',
    'find_sku_owner',
    'list_products',
    'create_product',
    'update_product',
    'delete_product',
    'apply_write',
    // cache_errors_total
    'get',
    'set',
    'delete',
    'version',
    'lease',
    'tags',
  ],
  command: [
    'get',
    'set',
    'delete',
    'acquire',
    'fill',
    'release',
    'invalidate',
    'version',
    'tags',
    'publish',
  ],
  cache: ['product', 'product_list'],
  tier: ['l1', 'l2'],
  op: ['get', 'set', 'delete'],
}

async function scrape(t: TestApp): Promise<Sample[]> {
  const response = await t.app.inject({ method: 'GET', url: '/metrics' })
  expect(response.statusCode).toBe(200)
  // The parser skips what it cannot read: every line that is not a comment must be a sample.
  const lines = response.body.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
  expect(lines.filter((line) => parsePrometheusText(line).length === 0)).toEqual([])
  return parsePrometheusText(response.body)
}

/** `<name>_count` per value of `label`, for the series that have it. */
function countsBy(samples: Sample[], name: string, label: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const sample of samples) {
    const value = sample.labels[label]
    if (sample.name === `${name}_count` && value !== undefined) {
      counts[value] = (counts[value] ?? 0) + sample.value
    }
  }
  return counts
}

/** No label anywhere may carry a key, an id or a raw URL: each would be a series per value. */
function expectBoundedLabels(samples: Sample[], keyPrefix: string) {
  for (const { name, labels } of samples) {
    for (const [label, value] of Object.entries(labels)) {
      const where = `${name}{${label}="${value}"}`
      const closed = CLOSED_LABELS[label]
      if (closed) expect(closed, where).toContain(value)
      expect(value, where).not.toContain(keyPrefix)
      expect(value, where).not.toMatch(/product:v\d|\{product/) // a cache key
      if (label === 'route') expect(value, where).not.toMatch(/\/\d+(\/|$)|\?/) // a raw URL
    }
  }
}

describe('GET /metrics from start-up', () => {
  it('exports every cache series an operator graphs at 0 before the first event', async () => {
    const t = await startTestApp()
    try {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
      for (const cache of ['product', 'product_list']) {
        for (const series of [
          `cache_hits_total{cache="${cache}",tier="l1"} 0`,
          `cache_hits_total{cache="${cache}",tier="l2"} 0`,
          `cache_stale_served_total{cache="${cache}"} 0`,
          `cache_fenced_fills_total{cache="${cache}"} 0`,
          `cache_coalesced_total{cache="${cache}"} 0`,
          `cache_loads_total{cache="${cache}"} 0`,
          `cache_redis_failovers_total{cache="${cache}"} 0`,
          `cache_errors_total{cache="${cache}",operation="lease"} 0`,
        ]) {
          expect(text).toContain(series)
        }
      }
    } finally {
      await t.close()
    }
  })
})

describe('GET /metrics: the timing metrics', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  const send = (app: TestApp, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string) =>
    app.app.inject({
      method,
      url,
      headers: method === 'GET' ? {} : auth,
      ...(method === 'PATCH' ? { payload: { stock: 3 } } : {}),
    })

  it('times the database, Redis and each tier after traffic, with bounded labels (full)', async () => {
    const app = await startTestApp()
    t = app
    for (const [method, url] of [
      ['GET', '/products/1'], // miss: L1 and L2 get, acquire, find_product, fill, L1 set
      ['GET', '/products/1'], // L1 hit
      ['GET', '/products/2'],
      ['GET', '/products/999999'], // "absent", cached too
      ['GET', '/products?limit=5'], // list_products
      ['PATCH', '/products/2'], // update_product, invalidate, tags, publish
      ['DELETE', '/products/cache/1'], // invalidate, L1 delete
      ['POST', '/cache/version'], // version, publish
    ] as const) {
      expect((await send(app, method, url)).statusCode).toBeLessThan(500)
    }
    const samples = await scrape(app)

    const database = countsBy(samples, 'db_query_duration_seconds', 'operation')
    expect(database.find_product).toBeGreaterThanOrEqual(3)
    expect(database.list_products).toBe(1)
    expect(database.update_product).toBe(1)

    const redis = countsBy(samples, 'redis_command_duration_seconds', 'command')
    for (const command of ['get', 'acquire', 'fill', 'invalidate', 'version', 'tags', 'publish']) {
      expect(redis[command], command).toBeGreaterThan(0)
    }

    const byTierAndOp: Record<string, number> = {}
    for (const { name, labels, value } of samples) {
      if (name !== 'cache_operation_duration_seconds_count' || labels.cache !== 'product') continue
      byTierAndOp[`${labels.tier}/${labels.op}`] = value
    }
    for (const series of ['l1/get', 'l1/set', 'l1/delete', 'l2/get', 'l2/set', 'l2/delete']) {
      expect(byTierAndOp[series], series).toBeGreaterThan(0)
    }
    expect(byTierAndOp['l1/get']).toBeGreaterThanOrEqual(4) // every read asks L1 first

    // Histograms: buckets up to +Inf, a sum and a count per series.
    expect(samples).toContainEqual(
      expect.objectContaining({
        name: 'cache_operation_duration_seconds_bucket',
        labels: { le: '+Inf', cache: 'product', tier: 'l1', op: 'get' },
      }),
    )
    for (const gauge of ['cache_l1_entries', 'cache_l1_bytes']) {
      expect(samples.find((sample) => sample.name === gauge)?.value, gauge).toBeGreaterThan(0)
    }
    expectBoundedLabels(samples, app.config.REDIS_KEY_PREFIX)
  })

  it('times what the naive strategy does: Redis only, plain GET/SET/DEL', async () => {
    const app = await startTestApp({ CACHE_STRATEGY: 'naive', CONSISTENCY_SAMPLE_PER_SEC: '0' }) // no sampled query
    t = app
    await send(app, 'GET', '/products/1')
    await send(app, 'GET', '/products/1')
    await send(app, 'DELETE', '/products/cache/1')
    const samples = await scrape(app)

    const redis = countsBy(samples, 'redis_command_duration_seconds', 'command')
    expect(Object.keys(redis).sort()).toEqual(['delete', 'get', 'set', 'version'])
    const tiers = countsBy(samples, 'cache_operation_duration_seconds', 'tier')
    expect(Object.keys(tiers)).toEqual(['l2']) // no L1, so no L1 series at all
    expect(countsBy(samples, 'db_query_duration_seconds', 'operation').find_product).toBe(1)
    expectBoundedLabels(samples, app.config.REDIS_KEY_PREFIX)
  })

  it('keeps the series bounded however many ids are read', async () => {
    const app = await startTestApp()
    t = app
    // The service's own series, a histogram counted once (Node's come and go on their own).
    const series = async () =>
      new Set(
        (await scrape(app))
          .filter(({ name }) => !/^(nodejs|process)_/.test(name))
          .map(({ name, labels: { le: _bucket, ...labels } }) => {
            return `${name.replace(/_(bucket|sum|count)$/, '')}${JSON.stringify(labels)}`
          }),
      )
    const read = (id: number) => send(app, 'GET', `/products/${id}`)
    for (const id of [1, 2, 1, 100_000]) await read(id) // a miss, a hit, a 404 of each kind
    await series() // so that /metrics itself has been timed once
    const before = await series()
    for (let id = 3; id <= 22; id++) await read(id)
    for (let id = 100_001; id <= 100_020; id++) await read(id)
    const added = [...(await series())].filter((one) => !before.has(one))
    // A label per id would add a series per id read (40 here). A loaded machine may add a few
    // bounded ones (a Redis timeout: cache_errors_total{operation}), which are fine.
    expect(added.length, added.join('\n')).toBeLessThan(5)
  })
})
