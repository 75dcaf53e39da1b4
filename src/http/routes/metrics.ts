import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'

const metricsRoutes: FastifyPluginAsyncTypebox<{
  metricsAccess: Config['METRICS_ACCESS']
}> = async (app, { metricsAccess }) => {
  app.get(
    '/metrics',
    {
      // METRICS_ACCESS=admin: the process's and the dependencies' figures are not for anyone.
      ...(metricsAccess === 'admin' ? { onRequest: app.requireAdmin } : {}),
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text format' }) },
      },
    },
    async (_request, reply) => {
      const { registry } = app.metrics
      reply.type(registry.contentType)
      return registry.metrics()
    },
  )
}

export default metricsRoutes
