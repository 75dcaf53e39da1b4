import fp from 'fastify-plugin'
import type { BoundObserver } from '../../bound-histogram.js'
import { createMetrics, type Metrics } from '../../metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/** One registry per app; times every request by its route template (bounded labels). */
export default fp(
  async (app) => {
    const metrics = createMetrics()
    app.decorate('metrics', metrics)
    // Bound once per method, route and status: an observation is then a bucket search, with no
    // labels object hashed per request. A synchronous hook: no promise per request either.
    const series = new Map<string, BoundObserver>()
    app.addHook('onResponse', (request, reply, done) => {
      const method = request.method
      const route = request.routeOptions.url ?? 'unmatched'
      const statusCode = String(reply.statusCode)
      const key = `${method} ${statusCode} ${route}`
      let observer = series.get(key)
      if (observer === undefined) {
        observer = metrics.httpRequestDuration.bind({ method, route, status_code: statusCode })
        series.set(key, observer)
      }
      observer.observe(reply.elapsedTime / 1000)
      done()
    })
  },
  { name: 'metrics' },
)
