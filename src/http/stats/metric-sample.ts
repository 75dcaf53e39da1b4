import type { Counter, Histogram } from 'prom-client'
import type { Metrics } from '../../metrics.js'
import type { BucketCounts } from './bucket-counts.js'

/** Cumulative figures read from the service's own metrics at one moment. */
export interface MetricSample {
  /** performance.now() when it was taken. */
  at: number
  requests: BucketCounts
  dbQueries: BucketCounts
  redisCommands: BucketCounts
  hitsL1: number
  hitsL2: number
  misses: number
  staleServed: number
  loads: number
  coalesced: number
  fencedFills: number
  errors: number
  /** cache_circuit_state: 0 closed, 1 half-open, 2 open. */
  circuit: number
}

/**
 * Requests that watch the service rather than use it: scrapes, this dashboard and its polling,
 * probes, docs and the queue board. Left out, so that watching does not move what is watched.
 */
const OPERATOR_ROUTE = /^\/(metrics|stats|health|ready)$|^\/(dashboard|docs|admin)(\/|$)/

type Labels = Readonly<Record<string, string | number | undefined>>

/** One read of each metric involved: bounded label sets, at most a few hundred values. */
export async function sampleMetrics(metrics: Metrics): Promise<MetricSample> {
  const [requests, dbQueries, redisCommands, hits] = await Promise.all([
    bucketCounts(metrics.httpRequestDuration, (labels) => {
      const route = labels.route
      return typeof route === 'string' && !OPERATOR_ROUTE.test(route)
    }),
    bucketCounts(metrics.dbQueryDuration),
    bucketCounts(metrics.redisCommandDuration),
    metrics.cacheHits.get(),
  ])
  const hitsOf = (tier: string) =>
    hits.values.reduce((sum, { labels, value }) => (labels.tier === tier ? sum + value : sum), 0)
  return {
    at: performance.now(),
    requests,
    dbQueries,
    redisCommands,
    hitsL1: hitsOf('l1'),
    hitsL2: hitsOf('l2'),
    misses: await total(metrics.cacheMisses),
    staleServed: await total(metrics.cacheStaleServed),
    loads: await total(metrics.cacheLoads),
    coalesced: await total(metrics.cacheCoalesced),
    fencedFills: await total(metrics.cacheFencedFills),
    errors: await total(metrics.cacheErrors),
    circuit: (await metrics.cacheCircuitState.get()).values[0]?.value ?? 0,
  }
}

async function total<L extends string>(counter: Counter<L>): Promise<number> {
  return (await counter.get()).values.reduce((sum, { value }) => sum + value, 0)
}

async function bucketCounts<L extends string>(
  histogram: Histogram<L>,
  keep: (labels: Labels) => boolean = () => true,
): Promise<BucketCounts> {
  const { name, values } = await histogram.get()
  const byBound = new Map<number, number>()
  for (const { metricName, labels, value } of values) {
    const all: Labels = labels
    if (metricName !== `${name}_bucket` || !keep(all)) continue
    const bound = all.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(all.le)
    byBound.set(bound, (byBound.get(bound) ?? 0) + value)
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b)
  return { bounds, cumulative: bounds.map((bound) => byBound.get(bound) ?? 0) }
}
