import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { adminSecurity, IdParams, problemResponses } from '../../schemas/common.js'
import { JobAcceptedSchema } from '../../schemas/jobs.js'

/** The demo's `regenerate_product_cache` job, queued over HTTP and followed at /jobs/:id. */
const regenerateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/products/:id/regenerate',
    {
      onRequest: app.requireAdmin,
      schema: {
        tags: ['cache'],
        summary: 'Queue a job that reloads the product and refreshes its cache entry',
        security: adminSecurity,
        params: IdParams,
        response: { 202: JobAcceptedSchema, ...problemResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      const jobId = await app.catalog.requestRegeneration(Number(request.params.id))
      const status = `/jobs/${jobId}`
      return reply.code(202).header('location', status).send({ jobId, status })
    },
  )
}

export default regenerateRoutes
