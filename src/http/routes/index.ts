import type { FastifyInstance } from 'fastify'
import cacheCategoryRoutes from './cache/categories.js'
import cacheVersionRoutes from './cache/version.js'
import healthRoutes from './health.js'
import metricsRoutes from './metrics.js'
import productCacheRoutes from './products/cache.js'
import productRoutes from './products/index.js'
import rootRoutes from './root.js'

/** Every route of the API, registered explicitly so the list reads as the API's table of contents. */
export async function registerRoutes(
  app: FastifyInstance,
  options: { version: string; graceSeconds: number },
) {
  await app.register(rootRoutes, options)
  await app.register(healthRoutes)
  await app.register(metricsRoutes)
  await app.register(productRoutes, options)
  await app.register(productCacheRoutes)
  await app.register(cacheVersionRoutes)
  await app.register(cacheCategoryRoutes)
}
