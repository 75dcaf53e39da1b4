import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { adminSecurity, IdParams, problemResponses } from '../../schemas/common.js'

/** Explicit invalidation: the demo's `DELETE /products/cache/{id}`. */
const productCacheRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.delete(
    '/products/cache/:id',
    {
      onRequest: app.requireAdmin,
      schema: {
        tags: ['cache'],
        summary: "Drop one product's cache entry; the next read loads it from the database",
        security: adminSecurity,
        params: IdParams,
        response: {
          204: Type.Null({ description: 'Invalidated' }),
          ...problemResponses(400, 401, 503),
        },
      },
    },
    async (request, reply) => {
      await app.catalog.invalidate(Number(request.params.id))
      return reply.code(204).send(null)
    },
  )
}

export default productCacheRoutes
