import fp from 'fastify-plugin'
import { Cache } from '../../cache/index.js'
import { isProduct, type Product } from '../../catalog/product.js'
import { ProductCatalog } from '../../catalog/product-catalog.js'
import type { Config } from '../../config.js'
import { createProductRepository } from '../../db/product-repository.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: ProductCatalog
  }
}

/** Wires the product cache (its events feed the metrics) and the repository into the catalog. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const { metrics } = app
    let lastWarnedAt = 0
    const cache = new Cache<Product>({
      name: 'product',
      redis: app.redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      ttlSeconds: config.CACHE_TTL_SECONDS,
      initialVersion: config.CACHE_KEY_VERSION,
      validate: isProduct,
      observer: {
        hit: (name, tier) => metrics.cacheHits.inc({ cache: name, tier }),
        miss: (name) => metrics.cacheMisses.inc({ cache: name }),
        load: (name) => metrics.cacheLoads.inc({ cache: name }),
        error: (name, operation, error) => {
          metrics.cacheErrors.inc({ cache: name, operation })
          // While Redis is down every read fails over; one line a second says so without flooding.
          if (Date.now() - lastWarnedAt < 1000) return
          lastWarnedAt = Date.now()
          app.log.warn(
            { err: error, cache: name, operation },
            'cache call failed; using the database',
          )
        },
      },
    })
    await cache.start()
    app.addHook('onClose', () => cache.close())

    const repository = createProductRepository(app.database, {
      extraLatencyMs: config.DB_EXTRA_LATENCY_MS,
    })
    app.decorate('catalog', new ProductCatalog(repository, cache))
  },
  { name: 'catalog', dependencies: ['dependencies', 'metrics'] },
)
