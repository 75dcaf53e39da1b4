import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { combineFigures, serviceFigures, totalQueries } from '../../bench/batch/db-queries.js'
import {
  pairedWayRatio,
  productsOf,
  productsPerSecond,
  redisErrorsOf,
  type WayRun,
  wayFigures,
} from '../../bench/batch/figures.js'
import { driveAmount } from '../../bench/batch/fixed-amount.js'
import {
  BATCH_SIZE,
  batchPath,
  batchReads,
  distinctIds,
  singleReads,
  zipfBatches,
} from '../../bench/batch/ids.js'
import { ZERO_COUNTERS } from '../../bench/cache-counters.js'
import { parsePrometheusText } from '../../bench/prometheus-text.js'
import type { RunMeasurement } from '../../bench/results.js'
import { summarizeLatencies } from '../../bench/stats.js'

describe('the batch scenario’s ids', () => {
  it('draws batches of distinct ids in 1..n, the same ones for the same seed', () => {
    const next = zipfBatches(10_000, 1, 7)
    const batches = Array.from({ length: 20 }, next)
    for (const batch of batches) {
      expect(batch).toHaveLength(BATCH_SIZE)
      expect(new Set(batch).size).toBe(BATCH_SIZE)
      for (const id of batch) {
        expect(Number.isInteger(id) && id >= 1 && id <= 10_000).toBe(true)
      }
    }
    const again = zipfBatches(10_000, 1, 7)
    expect(Array.from({ length: 20 }, again)).toEqual(batches)
    // Zipf: the most read product is in nearly every batch.
    expect(batches.filter((batch) => batch.includes(1)).length).toBeGreaterThan(15)
    expect(() => zipfBatches(10, 1, 1)).toThrow(RangeError)
  })

  it('reads the same ids both ways: one batch request, or one request per id in order', () => {
    const batches = Array.from({ length: 3 }, zipfBatches(10_000, 1, 3))
    const batch = batchReads(zipfBatches(10_000, 1, 3))
    const single = singleReads(zipfBatches(10_000, 1, 3))
    expect(Array.from({ length: 3 }, () => batch().path)).toEqual(batches.map(batchPath))
    expect(Array.from({ length: 3 * BATCH_SIZE }, () => single().path)).toEqual(
      batches.flat().map((id) => `/products/${id}`),
    )
    expect(batchPath([3, 1, 2])).toBe('/products?ids=3,1,2')
    expect(distinctIds(zipfBatches(10_000, 1, 3), 3)).toBe(new Set(batches.flat()).size)
  })
})

describe('the product queries and Redis errors on /metrics', () => {
  it('counts find_product and find_products apart, and the differences over a run', () => {
    const scrape = (one: number, many: number, leaseErrors: number) =>
      serviceFigures(
        parsePrometheusText(
          [
            '# TYPE db_query_duration_seconds histogram',
            `db_query_duration_seconds_bucket{le="0.005",operation="find_product"} ${one}`,
            `db_query_duration_seconds_count{operation="find_product"} ${one}`,
            `db_query_duration_seconds_count{operation="find_products"} ${many}`,
            'db_query_duration_seconds_count{operation="list_products"} 99',
            `cache_errors_total{cache="product",operation="lease"} ${leaseErrors}`,
            'cache_errors_total{cache="product",operation="get"} 2',
            'cache_errors_total{cache="product_list",operation="get"} 50',
          ].join('\n'),
        ),
      )
    const delta = combineFigures(scrape(120, 9, 7), scrape(100, 4, 3), -1)
    expect(delta).toEqual({
      queries: { findProduct: 20, findProducts: 5 },
      redisErrors: { lease: 4, get: 0 },
    })
    expect(totalQueries(delta.queries)).toBe(25)
  })
})

const run = (round: number, fields: Partial<RunMeasurement> = {}): RunMeasurement => ({
  round,
  elapsedMs: 1000,
  requests: 100,
  rps: 100,
  latency: summarizeLatencies(new Float64Array([1])),
  slowResponses: 0,
  errors: 0,
  non2xx: 0,
  socketErrors: 0,
  timeouts: 0,
  statusCodes: { 200: 100 },
  serverCpuMs: 500,
  cpuUsPerRequest: 5000,
  counters: ZERO_COUNTERS,
  databaseLoads: 0,
  timeline: [],
  events: [],
  ...fields,
})

const wayRun = (
  measurement: RunMeasurement,
  idsPerRequest: number,
  queries = [0, 0],
  redisErrors: Record<string, number> = {},
): WayRun => ({
  run: measurement,
  queries: { findProduct: queries[0] ?? 0, findProducts: queries[1] ?? 0 },
  redisErrors,
  products: productsOf(measurement, idsPerRequest),
})

describe('the batch scenario’s figures', () => {
  it('counts products in the 2xx answers only, per second of the run', () => {
    const measured = wayRun(run(1, { requests: 10, non2xx: 2, elapsedMs: 500 }), 50)
    expect(measured.products).toBe(400)
    expect(productsPerSecond(measured)).toBe(800)
  })

  it('pairs the ways round by round, leaving the warm-up out', () => {
    const batch: WayRun[] = [
      wayRun(run(0, { requests: 1 }), 50),
      wayRun(run(1, { requests: 10 }), 50), // 500 products/s
      wayRun(run(2, { requests: 20 }), 50), // 1,000
      wayRun(run(3, { requests: 40 }), 50), // 2,000
    ]
    const single: WayRun[] = [
      wayRun(run(0, { requests: 1000 }), 1),
      wayRun(run(3, { requests: 100 }), 1),
      wayRun(run(2, { requests: 100 }), 1),
      wayRun(run(1, { requests: 100 }), 1),
    ]
    // 5×, 10×, 20×: the median is 10×.
    expect(pairedWayRatio(batch, single, productsPerSecond)).toBe(10)
  })

  it('sums the queries, loads and Redis errors of the measured rounds per 1,000 products', () => {
    const runs = [
      wayRun(run(0, { requests: 100, databaseLoads: 900 }), 50, [0, 100], { get: 5 }),
      wayRun(run(1, { requests: 10, databaseLoads: 300, serverCpuMs: 50 }), 50, [2, 10], {
        lease: 3,
        get: 0,
      }),
      wayRun(run(2, { requests: 10, databaseLoads: 100, serverCpuMs: 100 }), 50, [0, 8], {
        lease: 1,
        set: 2,
      }),
    ]
    expect(redisErrorsOf(runs)).toEqual({ lease: 4, set: 2 })
    const figures = wayFigures(runs)
    expect(figures).toEqual({
      productsPerSecond: 500,
      cpuUsPerProduct: 150, // the median of 100 and 200 µs
      products: 1000,
      findProductQueries: 2,
      findProductsQueries: 18,
      queriesPer1000Products: 20,
      keysLoadedPer1000Products: 400,
    })
  })
})

describe('driveAmount (the cold runs’ fixed amount of requests)', () => {
  it('sends exactly that many requests, built by the request function, then stops', async () => {
    const seen: string[] = []
    const server = createServer((request, response) => {
      seen.push(request.url ?? '')
      response.statusCode = request.url === '/products/3' ? 404 : 200
      response.end('{}')
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      let next = 0
      const result = await driveAmount([`http://127.0.0.1:${port}`], {
        connections: 50, // more than requests: one per request
        amount: 7,
        request: () => ({ method: 'GET', path: `/products/${++next}` }),
      })
      expect(result.responses).toBe(7)
      expect(result.non2xx).toBe(1)
      expect(result.statusCodes).toEqual({ 200: 6, 404: 1 })
      expect(result.latencies).toHaveLength(7)
      expect(result.socketErrors + result.timeouts).toBe(0)
      expect(seen).toHaveLength(7)
      expect(new Set(seen).size).toBe(7) // every request sent was built for it
    } finally {
      server.close()
      server.closeAllConnections()
    }
  })
})
