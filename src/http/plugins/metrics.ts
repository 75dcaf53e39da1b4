import fp from 'fastify-plugin'
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
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpRequestDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      )
    })
  },
  { name: 'metrics' },
)
