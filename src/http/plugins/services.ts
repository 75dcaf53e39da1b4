import type { InvalidationBus, MemoryTier } from '@caching-strategies/cache'
import type { Queue } from 'bullmq'
import fp from 'fastify-plugin'
import type { Product } from '../../catalog/product.js'
import type { ProductCatalog } from '../../catalog/product-catalog.js'
import type { Config } from '../../config.js'
import type { ConsistencyMonitor } from '../../consistency/consistency-monitor.js'
import { openServices } from '../../services.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: ProductCatalog
    queue: Queue
    /** What this instance's caches share: the in-process L1 and the invalidation bus. */
    cacheStack: { l1: MemoryTier | undefined; bus: InvalidationBus | undefined }
    /** The consistency monitor of the product cache; undefined on ROLE=worker. */
    consistency: ConsistencyMonitor<Product> | undefined
  }
}

/** The catalog, its caches and the job queue, closed with the app. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const services = await openServices(
      config,
      { database: app.database, redis: app.redis },
      { metrics: app.metrics, logger: app.log },
    )
    app.addHook('onClose', () => services.close())
    app.decorate('catalog', services.catalog)
    app.decorate('queue', services.queue)
    app.decorate('cacheStack', { l1: services.l1, bus: services.bus })
    app.decorate('consistency', services.consistency)
  },
  { name: 'services', dependencies: ['dependencies', 'metrics'] },
)
