import { parsePrometheusText, type Sample, sumSamples } from '../prometheus-text.js'
import type { RunningTarget } from '../targets.js'

/** Product reads the repository made, by operation (db_query_duration_seconds_count). */
export interface ProductQueries {
  /** find_product: one product by id (a single read's load). */
  findProduct: number
  /** find_products: many products by id in one query (a batch read's cold ids). */
  findProducts: number
}

/** What the batch scenario reads on a service's /metrics around each run. */
export interface ServiceFigures {
  queries: ProductQueries
  /** cache_errors_total{cache="product"} by operation: Redis calls that failed or timed out. */
  redisErrors: Record<string, number>
}

const QUERIES = 'db_query_duration_seconds_count'
const ERRORS = 'cache_errors_total'

export function productQueries(samples: readonly Sample[]): ProductQueries {
  return {
    findProduct: sumSamples(samples, QUERIES, { operation: 'find_product' }),
    findProducts: sumSamples(samples, QUERIES, { operation: 'find_products' }),
  }
}

export function serviceFigures(samples: readonly Sample[]): ServiceFigures {
  const redisErrors: Record<string, number> = {}
  for (const sample of samples) {
    const operation = sample.labels.operation
    if (sample.name !== ERRORS || sample.labels.cache !== 'product' || !operation) continue
    redisErrors[operation] = (redisErrors[operation] ?? 0) + sample.value
  }
  return { queries: productQueries(samples), redisErrors }
}

export const totalQueries = (queries: ProductQueries) => queries.findProduct + queries.findProducts

/** a + b (sign 1) or a − b (sign −1): a run's figures are after − before. */
export function combineFigures(a: ServiceFigures, b: ServiceFigures, sign: 1 | -1): ServiceFigures {
  const redisErrors: Record<string, number> = { ...a.redisErrors }
  for (const [operation, count] of Object.entries(b.redisErrors)) {
    redisErrors[operation] = (redisErrors[operation] ?? 0) + sign * count
  }
  return {
    queries: {
      findProduct: a.queries.findProduct + sign * b.queries.findProduct,
      findProducts: a.queries.findProducts + sign * b.queries.findProducts,
    },
    redisErrors,
  }
}

/** The target's figures so far, summed over its instances, from their /metrics. */
export async function scrapeServiceFigures(target: RunningTarget): Promise<ServiceFigures> {
  const all = await Promise.all(
    target.urls.map(async (url) => {
      const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })
      if (!response.ok) throw new Error(`${url}/metrics answered ${response.status}`)
      return serviceFigures(parsePrometheusText(await response.text()))
    }),
  )
  return all.reduce((sum, figures) => combineFigures(sum, figures, 1), {
    queries: { findProduct: 0, findProducts: 0 },
    redisErrors: {},
  })
}
