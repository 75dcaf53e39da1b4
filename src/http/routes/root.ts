import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const RootSchema = Type.Object({
  name: Type.String(),
  version: Type.String(),
  links: Type.Record(Type.String(), Type.String()),
})

const rootRoutes: FastifyPluginAsyncTypebox<{ version: string }> = async (app, { version }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['operations'],
        summary: 'What this service is',
        response: { 200: RootSchema },
      },
    },
    async () => ({
      name: 'caching-strategies',
      version,
      links: {
        docs: '/docs',
        openapi: '/docs/json',
        products: '/products',
        product: '/products/1',
        key_version: '/cache/version',
        health: '/health',
        ready: '/ready',
        metrics: '/metrics',
      },
    }),
  )
}

export default rootRoutes
