import { type Static, type TSchema, Type } from 'typebox'
import { RedisTopologySchema } from './redis-topology.js'

const nullable = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description })

const perSecond = (what: string) =>
  nullable(
    Type.Number({ minimum: 0 }),
    `${what} per second over the window; null until the window spans two samples`,
  )
const ratio = (what: string) =>
  nullable(Type.Number({ minimum: 0, maximum: 1 }), `${what}; null when there was nothing to count`)
const milliseconds = (what: string) =>
  nullable(
    Type.Number({ minimum: 0 }),
    `${what}, in ms, interpolated within histogram buckets as PromQL's histogram_quantile does; null without observations`,
  )
const count = (what: string) => Type.Integer({ minimum: 0, description: what })
const DependencyState = Type.Union([Type.Literal('up'), Type.Literal('down')])

const RedisInfoSchema = Type.Object(
  {
    version: Type.Union([Type.String(), Type.Null()]),
    uptime_seconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    used_memory_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    used_memory_human: Type.Union([Type.String(), Type.Null()]),
    connected_clients: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    keyspace_hits: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    keyspace_misses: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    keyspace_hit_ratio: ratio(
      'keyspace_hits / (keyspace_hits + keyspace_misses), since Redis started',
    ),
    ops_per_second: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    keys: count('Keys over every database'),
  },
  { description: 'From Redis INFO (server-wide, not only this service)' },
)

const QueueCountsSchema = Type.Object({
  waiting: count('Jobs waiting for a worker'),
  active: count('Jobs running'),
  delayed: count('Jobs waiting for their delay or a retry backoff'),
  prioritized: count('Jobs waiting, with a priority'),
  failed: count('Jobs failed for good (kept for inspection)'),
  completed: count('Jobs completed (kept for a while)'),
})

const ConsistencyWindowSchema = Type.Object({
  checks: count('Consistency checks in the window'),
  stale: count('Checks that found a stale entry (each one repaired)'),
  nines: nullable(
    Type.Number({ minimum: 0 }),
    '−log10 of the stale share: 3 = one check in 1,000 found a stale entry; with none stale, log10(checks), a lower bound (at_least); null without checks',
  ),
  at_least: Type.Boolean({
    description: 'nines is only a lower bound: no check found a stale entry',
  }),
})

const ConsistencySchema = nullable(
  Type.Object({
    '1m': ConsistencyWindowSchema,
    '5m': ConsistencyWindowSchema,
    '1h': ConsistencyWindowSchema,
  }),
  'The consistency monitor of this instance over the last minute, 5 minutes and hour; null where it does not run (ROLE=worker)',
)

/** What the dashboard shows, computed cheaply: bounded metric reads, Redis INFO cached for 1 s. */
export const StatsSchema = Type.Object({
  generated_at: Type.String({ format: 'date-time' }),
  window_seconds: Type.Number({
    minimum: 0,
    description: 'The span the rates, ratios and percentiles cover (up to 5 s)',
  }),
  key_version: Type.Integer({ minimum: 1, description: 'The current product key version' }),
  http: Type.Object({
    requests_per_second: perSecond(
      'API requests (scrapes, probes, docs and this dashboard left out)',
    ),
    latency_ms: Type.Object({
      p50: milliseconds('Median API request latency'),
      p95: milliseconds('95th percentile API request latency'),
      p99: milliseconds('99th percentile API request latency'),
    }),
  }),
  cache: Type.Object({
    reads_per_second: perSecond('Cache reads (hits, stale answers and misses)'),
    hit_ratio: Type.Object(
      {
        l1: ratio('Share of reads answered fresh from process memory'),
        l2: ratio('Share of reads answered fresh from Redis'),
        overall: ratio('Share of reads answered fresh from either tier'),
      },
      { description: 'Over the window, every cache of the service together' },
    ),
    db_loads_per_second: perSecond('Loader calls (database reads made for the cache)'),
    db_load_saved: nullable(
      Type.Number({ maximum: 1 }),
      '1 - loads / reads over the window: the share of reads that did not reach the database',
    ),
    stale_served_per_second: perSecond('Stale answers (refresh under way, or the loader failed)'),
    coalesced_per_second: perSecond("Callers that waited for another's load"),
    totals: Type.Object(
      {
        hits_l1: count('Fresh answers from L1'),
        hits_l2: count('Fresh answers from Redis'),
        misses: count('Reads that waited for a load'),
        loads: count('Loader calls'),
        stale_served: count('Stale answers'),
        coalesced: count('Joined loads'),
        fenced_fills: count('Loads overtaken by an invalidation, not stored'),
        errors: count('Redis calls that failed or timed out'),
      },
      { description: 'Since this process started' },
    ),
    l1: nullable(
      Type.Object({ entries: count('Entries in L1'), bytes: count('Bytes in L1') }),
      'The in-process tier; null when there is none (CACHE_STRATEGY naive or none)',
    ),
    circuit: Type.Union([Type.Literal('closed'), Type.Literal('half-open'), Type.Literal('open')], {
      description: 'The Redis circuit breaker',
    }),
  }),
  consistency: ConsistencySchema,
  database: Type.Object({
    state: DependencyState,
    dialect: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
    queries_per_second: perSecond('Repository calls'),
    query_p95_ms: milliseconds('95th percentile repository call'),
  }),
  redis: Type.Object({
    state: DependencyState,
    topology: RedisTopologySchema,
    info: nullable(RedisInfoSchema, 'null when Redis did not answer INFO'),
    command_p95_ms: milliseconds("95th percentile of the cache's Redis round trips"),
  }),
  queue: Type.Object({
    name: Type.String(),
    state: DependencyState,
    depth: nullable(count('Jobs'), 'Jobs not finished yet: waiting, active, delayed, prioritized'),
    counts: nullable(QueueCountsSchema, 'null when the queue did not answer'),
  }),
})

export type Stats = Static<typeof StatsSchema>
