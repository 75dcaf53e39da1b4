import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

/** Cache names are a closed set: a label per key or id would be an unbounded series. */
export type CacheName = 'product'
export type CacheTierLabel = 'l1' | 'l2'

/**
 * Every metric the service exports, on a registry of its own per app instance, so several
 * instances built in one process (as the tests do) never share or double-register series.
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  return {
    registry,
    cacheHits: new Counter<'cache' | 'tier'>({
      name: 'cache_hits_total',
      help: 'Reads answered from the cache, by cache and tier',
      labelNames: ['cache', 'tier'],
      registers: [registry],
    }),
    cacheMisses: new Counter<'cache'>({
      name: 'cache_misses_total',
      help: 'Reads the cache could not answer',
      labelNames: ['cache'],
      registers: [registry],
    }),
    cacheLoads: new Counter<'cache'>({
      name: 'cache_loads_total',
      help: 'Loader calls: reads that went to the database',
      labelNames: ['cache'],
      registers: [registry],
    }),
    cacheErrors: new Counter<'cache' | 'operation'>({
      name: 'cache_errors_total',
      help: 'Redis calls that failed or timed out; the read fell through to the database',
      labelNames: ['cache', 'operation'],
      registers: [registry],
    }),
    httpRequestDuration: new Histogram<'method' | 'route' | 'status_code'>({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
