import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { adminSecurity, problemResponses } from '../../schemas/common.js'
import { KeyVersionSchema } from '../../schemas/products.js'

/** Versioned keys: every product key embeds `v<version>`; bumping it invalidates all at once. */
const cacheVersionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/cache/version',
    {
      schema: {
        tags: ['cache'],
        summary: 'The current product key version',
        response: { 200: KeyVersionSchema },
      },
    },
    async () => ({ version: app.catalog.keyVersion }),
  )

  app.post(
    '/cache/version',
    {
      onRequest: app.requireAdmin,
      schema: {
        tags: ['cache'],
        security: adminSecurity,
        summary: 'Bump the key version: every product entry is invalidated in O(1)',
        response: { 200: KeyVersionSchema, ...problemResponses(401, 503) },
      },
    },
    async () => ({ version: await app.catalog.bumpKeyVersion() }),
  )
}

export default cacheVersionRoutes
