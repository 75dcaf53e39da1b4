import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { StatsSchema } from '../schemas/stats.js'
import { createLiveStats } from '../stats/live-stats.js'

/** The dashboard's data: a JSON snapshot cheap enough to poll every second. */
const statsRoutes: FastifyPluginAsyncTypebox<{ metricsAccess: Config['METRICS_ACCESS'] }> = async (
  app,
  { metricsAccess },
) => {
  const stats = createLiveStats({
    metrics: app.metrics,
    redis: app.redis,
    database: app.database,
    queue: app.queue,
    l1: app.cacheStack.l1,
    keyVersion: () => app.catalog.keyVersion,
    consistency: app.consistency,
  })

  app.get(
    '/stats',
    {
      // METRICS_ACCESS=admin: Redis's version and memory, the database's state, not for anyone.
      ...(metricsAccess === 'admin' ? { onRequest: app.requireAdmin } : {}),
      schema: {
        tags: ['operations'],
        summary:
          'Live figures for the dashboard: rates, hit ratios and latency over the last seconds, ' +
          'and the state of Redis, the database and the job queue',
        response: { 200: StatsSchema },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store')
      return stats.read()
    },
  )
}

export default statsRoutes
