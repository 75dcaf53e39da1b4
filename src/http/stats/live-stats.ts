import { describeTopology, type MemoryTier } from '@caching-strategies/cache'
import type { NinesWindow, WindowCounts } from '../../consistency/nines.js'
import type { Metrics } from '../../metrics.js'
import type { Stats } from '../schemas/stats.js'
import { type BucketCounts, bucketsSince, quantileOf, totalOf } from './bucket-counts.js'
import {
  type DependencySources,
  type DependencyStates,
  probeDependencies,
  rememberFor,
} from './dependencies.js'
import { sampleMetrics } from './metric-sample.js'
import { type SampledSpan, SampleWindow, type SampleWindowOptions } from './sample-window.js'

export interface LiveStatsSources extends DependencySources {
  metrics: Metrics
  queue: DependencySources['queue'] & { name: string }
  l1: Pick<MemoryTier, 'entries' | 'bytes'> | undefined
  keyVersion(): number
  consistency: { windows(): Record<NinesWindow, WindowCounts> } | undefined
}

/** Redis INFO, a database ping and the queue counts are asked at most this often. */
const DEPENDENCY_TTL_MS = 1000

const CIRCUIT_STATES = ['closed', 'half-open', 'open'] as const

/**
 * The dashboard's figures. Rates, ratios and percentiles are differences between two samples of
 * the service's own metrics (see SampleWindow); the dependencies' state is asked for at most
 * once a second however many dashboards poll.
 */
export function createLiveStats(sources: LiveStatsSources, window: SampleWindowOptions = {}) {
  const samples = new SampleWindow(() => sampleMetrics(sources.metrics), window)
  const dependencies = rememberFor(DEPENDENCY_TTL_MS, () => probeDependencies(sources))
  return {
    async read(): Promise<Stats> {
      const [span, states] = await Promise.all([samples.current(), dependencies()])
      return composeStats(span, states, sources)
    },
  }
}

function composeStats(
  { oldest, newest }: SampledSpan,
  states: DependencyStates,
  sources: LiveStatsSources,
): Stats {
  const seconds = (newest.at - oldest.at) / 1000
  const perSecond = (delta: number) => (seconds > 0 ? round(Math.max(0, delta) / seconds) : null)
  const since = (pick: (sample: typeof newest) => number) => pick(newest) - pick(oldest)
  // With one sample the span is empty: no requests, so no percentiles either.
  const during = (pick: (sample: typeof newest) => BucketCounts) =>
    bucketsSince(pick(newest), pick(oldest))
  const requests = during((sample) => sample.requests)
  const dbQueries = during((sample) => sample.dbQueries)

  const hitsL1 = since((sample) => sample.hitsL1)
  const hitsL2 = since((sample) => sample.hitsL2)
  const reads =
    hitsL1 + hitsL2 + since((sample) => sample.staleServed) + since((sample) => sample.misses)
  const loads = since((sample) => sample.loads)
  const info = states.redisInfo
  const counts = states.queueCounts

  return {
    generated_at: new Date().toISOString(),
    window_seconds: round(seconds),
    key_version: sources.keyVersion(),
    http: {
      requests_per_second: perSecond(totalOf(requests)),
      latency_ms: {
        p50: milliseconds(requests, 0.5),
        p95: milliseconds(requests, 0.95),
        p99: milliseconds(requests, 0.99),
      },
    },
    cache: {
      reads_per_second: perSecond(reads),
      hit_ratio: {
        l1: ratio(hitsL1, reads),
        l2: ratio(hitsL2, reads),
        overall: ratio(hitsL1 + hitsL2, reads),
      },
      db_loads_per_second: perSecond(loads),
      db_load_saved: reads > 0 ? round(1 - loads / reads) : null,
      stale_served_per_second: perSecond(since((sample) => sample.staleServed)),
      coalesced_per_second: perSecond(since((sample) => sample.coalesced)),
      totals: {
        hits_l1: newest.hitsL1,
        hits_l2: newest.hitsL2,
        misses: newest.misses,
        loads: newest.loads,
        stale_served: newest.staleServed,
        coalesced: newest.coalesced,
        fenced_fills: newest.fencedFills,
        errors: newest.errors,
      },
      l1: sources.l1 ? { entries: sources.l1.entries, bytes: sources.l1.bytes } : null,
      circuit: CIRCUIT_STATES[newest.circuit] ?? 'closed',
    },
    consistency: sources.consistency ? consistencyOf(sources.consistency.windows()) : null,
    database: {
      state: states.database.up ? 'up' : 'down',
      dialect: states.database.dialect,
      queries_per_second: perSecond(totalOf(dbQueries)),
      query_p95_ms: milliseconds(dbQueries, 0.95),
    },
    redis: {
      state: info ? 'up' : 'down',
      topology: describeTopology(sources.redis),
      info: info
        ? {
            ...info,
            keyspace_hit_ratio: ratio(
              info.keyspace_hits ?? 0,
              (info.keyspace_hits ?? 0) + (info.keyspace_misses ?? 0),
            ),
          }
        : null,
      command_p95_ms: milliseconds(
        during((sample) => sample.redisCommands),
        0.95,
      ),
    },
    queue: {
      name: sources.queue.name,
      state: counts ? 'up' : 'down',
      depth: counts ? counts.waiting + counts.active + counts.delayed + counts.prioritized : null,
      counts: counts ?? null,
    },
  }
}

function consistencyOf(windows: Record<NinesWindow, WindowCounts>) {
  const window = ({ checks, stale, nines, atLeast }: WindowCounts) => ({
    checks,
    stale,
    nines,
    at_least: atLeast,
  })
  return { '1m': window(windows['1m']), '5m': window(windows['5m']), '1h': window(windows['1h']) }
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? round(part / whole) : null
}

function milliseconds(counts: BucketCounts, q: number): number | null {
  const seconds = quantileOf(counts, q)
  return seconds === undefined ? null : round(seconds * 1000)
}

/** Three decimals: enough for a ratio or a sub-millisecond latency, and a stable JSON. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
