import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'

/** OpenAPI 3 generated from the route schemas; Swagger UI at /docs, the JSON at /docs/json. */
export default fp<{ version: string }>(
  async (app, options) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'caching-strategies',
          description:
            'A product API whose reads go through a Redis cache: cache-aside with TTL, ' +
            'versioned keys and explicit invalidation. Writes need the admin bearer token.',
          version: options.version,
        },
        tags: [
          { name: 'products', description: 'The catalog, read through the cache' },
          { name: 'cache', description: 'Cache administration' },
          { name: 'jobs', description: 'Background jobs (BullMQ)' },
          { name: 'operations', description: 'Health, readiness and metrics' },
        ],
        components: {
          securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
        },
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
  },
  { name: 'swagger' },
)
