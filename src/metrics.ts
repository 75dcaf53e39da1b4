import {
  CACHE_OPERATIONS,
  type CacheObserver,
  type CacheTier,
  type CircuitStateName,
  LateTimeoutError,
  type MemoryTier,
  type RedisCommand,
  type TierOperation,
} from '@caching-strategies/cache'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { BoundCounter } from './bound-counter.js'
import { BoundHistogram, type BoundObserver } from './bound-histogram.js'
import type { RepositoryOperation } from './db/timed-repository.js'

/** Cache names are a closed set: a label per key or id would be an unbounded series. */
export type CacheName = 'product' | 'product_list'

const CIRCUIT_STATE_VALUES: Record<CircuitStateName, number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
}

/**
 * Every metric the service exports, on a registry of its own per app instance, so several
 * instances built in one process (as the tests do) never share or double-register series.
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  return {
    registry,
    // Counted on every hit, L1 included: a BoundCounter, whose count is a plain addition.
    cacheHits: new BoundCounter<'cache' | 'tier'>({
      name: 'cache_hits_total',
      help: 'Reads answered fresh from the cache, by cache and tier (l1: process memory, l2: Redis)',
      labelNames: ['cache', 'tier'],
      registers,
    }),
    cacheMisses: new Counter<'cache'>({
      name: 'cache_misses_total',
      help: 'Reads that waited for a load',
      labelNames: ['cache'],
      registers,
    }),
    cacheLoads: new Counter<'cache'>({
      name: 'cache_loads_total',
      help: 'Loader calls: reads of the database made for the cache',
      labelNames: ['cache'],
      registers,
    }),
    cacheStaleServed: new Counter<'cache'>({
      name: 'cache_stale_served_total',
      help: 'Reads answered with a stale value while it was refreshed, or because the loader failed',
      labelNames: ['cache'],
      registers,
    }),
    cacheCoalesced: new Counter<'cache'>({
      name: 'cache_coalesced_total',
      help: "Callers that waited for another's load instead of loading themselves",
      labelNames: ['cache'],
      registers,
    }),
    cacheFencedFills: new Counter<'cache'>({
      name: 'cache_fenced_fills_total',
      help: 'Loads overtaken by an invalidation, whose result was therefore not stored',
      labelNames: ['cache'],
      registers,
    }),
    cacheRedisResets: new Counter<'cache'>({
      name: 'cache_redis_resets_total',
      help: 'Times Redis was found to have lost the cache data (restart without persistence, flush)',
      labelNames: ['cache'],
      registers,
    }),
    cacheRedisFailovers: new Counter<'cache'>({
      name: 'cache_redis_failovers_total',
      help: 'Times a Redis master was replaced (failover): L1 dropped, key version bumped',
      labelNames: ['cache'],
      registers,
    }),
    cacheErrors: new Counter<'cache' | 'operation'>({
      name: 'cache_errors_total',
      help: 'Redis calls that failed or timed out (reads then fall through to the database)',
      labelNames: ['cache', 'operation'],
      registers,
    }),
    cacheLateTimeouts: new Counter<'cache'>({
      name: 'cache_late_timeouts_total',
      help: 'Of those, timeouts that fired late: this process was busy, not Redis (not held against Redis)',
      labelNames: ['cache'],
      registers,
    }),
    cacheBusMessages: new Counter<'direction'>({
      name: 'cache_bus_messages_total',
      help: 'Invalidation bus messages: sent, received from other instances, or rejected as invalid',
      labelNames: ['direction'],
      registers,
    }),
    cacheBusPublishRetries: new Counter({
      name: 'cache_bus_publish_retries_total',
      help: 'Invalidation bus publishes that failed and were tried again, in order',
      registers,
    }),
    cacheBusDropped: new Counter<'reason'>({
      name: 'cache_bus_dropped_total',
      help: 'Invalidations the bus gave up on (expired: not delivered in its retry window; overflow; closed); peers then clear their L1',
      labelNames: ['reason'],
      registers,
    }),
    cacheBusMessagesLost: new Counter<'reason'>({
      name: 'cache_bus_messages_lost_total',
      help: 'Times this instance learned it may have missed invalidations (sequence gap, silent peer, deaf or resubscribed) and cleared its L1',
      labelNames: ['reason'],
      registers,
    }),
    cacheConsistencyChecks: new Counter<'cache' | 'kind' | 'result'>({
      name: 'cache_consistency_checks_total',
      help: 'Consistency monitor checks, by cache, kind (invalidation: after a write; sample: a cache answer compared with the database) and result (consistent, stale)',
      labelNames: ['cache', 'kind', 'result'],
      registers,
    }),
    cacheConsistencyStaleAge: new Histogram<'cache'>({
      name: 'cache_consistency_stale_age_seconds',
      help: 'How long a stale entry the consistency monitor found had been wrong (since the write it missed)',
      labelNames: ['cache'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14_400],
      registers,
    }),
    cacheCircuitState: new Gauge({
      name: 'cache_circuit_state',
      help: 'Redis circuit breaker: 0 closed (calling Redis), 1 half-open (probing), 2 open (not calling)',
      registers,
    }),
    jobsTotal: new Counter<'queue' | 'name' | 'status'>({
      name: 'jobs_total',
      help: 'Jobs run by this worker: completed, retried (will run again) or failed (for good)',
      labelNames: ['queue', 'name', 'status'],
      registers,
    }),
    jobDuration: new Histogram<'queue' | 'name'>({
      name: 'job_duration_seconds',
      help: 'How long one attempt of a job took',
      labelNames: ['queue', 'name'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    // Observed on every request: a BoundHistogram, bound once per label set (plugins/metrics.ts).
    httpRequestDuration: new BoundHistogram<'method' | 'route' | 'status_code'>({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    dbQueryDuration: new BoundHistogram<'operation'>({
      name: 'db_query_duration_seconds',
      help: 'Calls of the product repository, by operation, failed ones included (find_product includes DB_EXTRA_LATENCY_MS)',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    // Observed on every Redis round trip, an L2 hit's included.
    redisCommandDuration: new BoundHistogram<'command'>({
      name: 'redis_command_duration_seconds',
      help: "The cache's round trips to Redis, by command, failed ones (timeouts) included",
      labelNames: ['command'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    // Observed on every read, L1 hits included: a BoundHistogram, whose observe allocates nothing.
    cacheOperationDuration: new BoundHistogram<'cache' | 'tier' | 'op'>({
      name: 'cache_operation_duration_seconds',
      help: 'Cache tier operations by cache, tier and op (get, set, delete): l1 is process memory, l2 a Redis round trip plus decoding',
      labelNames: ['cache', 'tier', 'op'],
      buckets: [
        0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
        0.025, 0.05, 0.1, 0.25, 1,
      ],
      registers,
    }),
  }
}

/**
 * Labelled children per cache name, found without building a key string per call: the hot path
 * (an L1 hit) looks up a map by the name, then an object by closed-set labels.
 */
function perCache<V>(create: (cache: string) => V): (cache: string) => V {
  const byCache = new Map<string, V>()
  return (cache) => {
    let children = byCache.get(cache)
    if (children === undefined) {
      children = create(cache)
      byCache.set(cache, children)
    }
    return children
  }
}

export type Metrics = ReturnType<typeof createMetrics>

/** Gauges read from the L1 tier when Prometheus scrapes, not on every change. */
export function observeMemoryTier(metrics: Metrics, l1: MemoryTier) {
  const registers = [metrics.registry]
  new Gauge({
    name: 'cache_l1_entries',
    help: 'Entries held in the in-process L1 tier',
    registers,
    collect() {
      this.set(l1.entries)
    },
  })
  new Gauge({
    name: 'cache_l1_bytes',
    help: 'Bytes held in the in-process L1 tier (the size of their JSON encoding)',
    registers,
    collect() {
      this.set(l1.bytes)
    },
  })
}

/**
 * Every labelled series of the caches an operator graphs or alerts on, at 0 from start-up, as
 * Prometheus' instrumentation guidelines advise: a rate over a series that does not exist yet is
 * "no data", not 0, until its first event.
 */
export function exportCacheSeries(metrics: Metrics, caches: readonly CacheName[]): void {
  for (const cache of caches) {
    for (const tier of ['l1', 'l2']) metrics.cacheHits.inc({ cache, tier }, 0)
    for (const counter of [
      metrics.cacheMisses,
      metrics.cacheLoads,
      metrics.cacheStaleServed,
      metrics.cacheCoalesced,
      metrics.cacheFencedFills,
      metrics.cacheRedisResets,
      metrics.cacheRedisFailovers,
      metrics.cacheLateTimeouts,
    ]) {
      counter.inc({ cache }, 0)
    }
    for (const operation of CACHE_OPERATIONS) metrics.cacheErrors.inc({ cache, operation }, 0)
  }
}

/** The consistency monitor's series, at 0 from start-up like the caches'. */
export function exportConsistencySeries(metrics: Metrics, cache: CacheName): void {
  for (const kind of ['invalidation', 'sample']) {
    for (const result of ['consistent', 'stale']) {
      metrics.cacheConsistencyChecks.inc({ cache, kind, result }, 0)
    }
  }
  metrics.cacheConsistencyStaleAge.zero({ cache })
}

/** The cache core's events as metrics; `onError` is for logging. */
export function cacheMetricsObserver(
  metrics: Metrics,
  onError: NonNullable<CacheObserver['error']>,
  onRedisReset: NonNullable<CacheObserver['redisReset']> = () => {},
  onRedisFailover: NonNullable<CacheObserver['redisFailover']> = () => {},
): Required<CacheObserver> {
  // A hit is the hottest path of the service: bind its label sets once, not per read.
  const hits = perCache((cache) => ({
    l1: metrics.cacheHits.bind({ cache, tier: 'l1' }),
    l2: metrics.cacheHits.bind({ cache, tier: 'l2' }),
  }))
  // Bound on first use, so a tier a strategy never touches (naive has no L1) exports no series.
  const tierTimers = perCache(
    (): Record<CacheTier, Partial<Record<TierOperation, BoundObserver>>> => ({ l1: {}, l2: {} }),
  )
  const commandTimers: Partial<Record<RedisCommand, BoundObserver>> = {}
  return {
    hit: (cache, tier) => hits(cache)[tier].inc(),
    stale: (cache) => metrics.cacheStaleServed.inc({ cache }),
    miss: (cache) => metrics.cacheMisses.inc({ cache }),
    load: (cache) => metrics.cacheLoads.inc({ cache }),
    coalesced: (cache) => metrics.cacheCoalesced.inc({ cache }),
    fenced: (cache) => metrics.cacheFencedFills.inc({ cache }),
    circuit: (_cache, state) => metrics.cacheCircuitState.set(CIRCUIT_STATE_VALUES[state]),
    redisReset: (cache) => {
      metrics.cacheRedisResets.inc({ cache })
      onRedisReset(cache)
    },
    redisFailover: (cache) => {
      metrics.cacheRedisFailovers.inc({ cache })
      onRedisFailover(cache)
    },
    error: (cache, operation, error) => {
      metrics.cacheErrors.inc({ cache, operation })
      if (error instanceof LateTimeoutError) metrics.cacheLateTimeouts.inc({ cache })
      onError(cache, operation, error)
    },
    redisCommand: (_cache, command, ms) => {
      commandTimers[command] ??= metrics.redisCommandDuration.bind({ command })
      commandTimers[command].observe(ms / 1000)
    },
    tierOperation: (cache, tier, op, ms) => {
      const timers = tierTimers(cache)[tier]
      timers[op] ??= metrics.cacheOperationDuration.bind({ cache, tier, op })
      timers[op].observe(ms / 1000)
    },
  }
}

/** The repository's timings (timedRepository) as db_query_duration_seconds. */
export function repositoryMetricsObserver(
  metrics: Metrics,
): (operation: RepositoryOperation, ms: number) => void {
  const timers: Partial<Record<RepositoryOperation, BoundObserver>> = {}
  return (operation, ms) => {
    timers[operation] ??= metrics.dbQueryDuration.bind({ operation })
    timers[operation].observe(ms / 1000)
  }
}

/** How long a scrape waits for the queue's counts before leaving them out. */
const QUEUE_COUNT_TIMEOUT_MS = 500

/** `pending`'s value, or undefined once `ms` have passed. */
function withinMs<T>(ms: number, pending: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined)
  })
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer))
}

/** The states BullMQ counts a queue's jobs in; a closed set for the `state` label. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const

/** Queue depth, asked of Redis when Prometheus scrapes (one call), not on every change. */
export function observeQueue(
  metrics: Metrics,
  queue: { name: string; getJobCounts(...states: string[]): Promise<Record<string, number>> },
) {
  new Gauge<'queue' | 'state'>({
    name: 'queue_jobs',
    help: 'Jobs in the queue, by state',
    labelNames: ['queue', 'state'],
    registers: [metrics.registry],
    async collect() {
      // The queue's connection has no command timeout: a hung Redis must not hang the scrape
      // (and with it every other metric, the circuit's state included).
      const counts = await withinMs(
        QUEUE_COUNT_TIMEOUT_MS,
        queue.getJobCounts(...QUEUE_STATES).catch(() => undefined),
      )
      if (!counts) return // Redis is down or hung: no figure rather than a wrong one
      for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0)
    },
  })
}
