import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ProductFieldsSchema } from '../../../catalog/product.js'
import { adminSecurity, problemResponses } from '../../schemas/common.js'

/** Tag invalidation: every product of a category at once, without knowing which ones are cached. */
const cacheCategoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.delete(
    '/cache/categories/:category',
    {
      onRequest: app.requireAdmin,
      schema: {
        tags: ['cache'],
        summary: 'Invalidate every cached product of a category (one tag: O(1) Redis calls)',
        security: adminSecurity,
        params: Type.Object({ category: ProductFieldsSchema.properties.category }),
        response: {
          204: Type.Null({ description: 'Invalidated' }),
          ...problemResponses(400, 401, 503),
        },
      },
    },
    async (request, reply) => {
      await app.catalog.invalidateCategory(request.params.category)
      return reply.code(204).send(null)
    },
  )
}

export default cacheCategoryRoutes
