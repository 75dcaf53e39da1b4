import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.js'
import cacheCategoryRoutes from './cache/categories.js'
import cacheVersionRoutes from './cache/version.js'
import dashboardRoutes from './dashboard/index.js'
import healthRoutes from './health.js'
import jobRoutes from './jobs/index.js'
import metricsRoutes from './metrics.js'
import productCacheRoutes from './products/cache.js'
import productRoutes from './products/index.js'
import regenerateRoutes from './products/regenerate.js'
import rootRoutes from './root.js'
import statsRoutes from './stats.js'

/** Every route of the API, registered explicitly so the list reads as the API's table of contents. */
export async function registerRoutes(
  app: FastifyInstance,
  options: {
    version: string
    graceSeconds: number
    role: Config['ROLE']
    metricsAccess: Config['METRICS_ACCESS']
  },
) {
  await app.register(rootRoutes, options)
  await app.register(healthRoutes)
  await app.register(metricsRoutes, options)
  // A worker process serves only what operators need of it: health and metrics.
  if (options.role === 'worker') return
  await app.register(productRoutes, options)
  await app.register(productCacheRoutes)
  await app.register(cacheVersionRoutes)
  await app.register(cacheCategoryRoutes)
  await app.register(regenerateRoutes)
  await app.register(jobRoutes)
  await app.register(statsRoutes, options)
  await app.register(dashboardRoutes)
}
