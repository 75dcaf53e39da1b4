import fp from 'fastify-plugin'
import { type CacheOptions, createCache } from '../../cache/index.js'
import {
  categoryTag,
  isProduct,
  isProductPage,
  LIST_PAGES_TAG,
  type Product,
  type ProductPage,
} from '../../catalog/product.js'
import { ProductCatalog } from '../../catalog/product-catalog.js'
import type { Config } from '../../config.js'
import { createProductRepository } from '../../db/product-repository.js'
import { cacheMetricsObserver } from '../../metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: ProductCatalog
  }
}

/** Wires the product caches (their events feed the metrics) and the repository into the catalog. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    let lastWarnedAt = 0
    const observer = cacheMetricsObserver(app.metrics, (cache, operation, error) => {
      // While Redis is down every read fails over; one line a second says so without flooding.
      if (Date.now() - lastWarnedAt < 1000) return
      lastWarnedAt = Date.now()
      app.log.warn({ err: error, cache, operation }, 'cache call failed; carrying on without Redis')
    })
    const shared = {
      redis: app.redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      ttlSeconds: config.CACHE_TTL_SECONDS,
      graceSeconds: config.CACHE_GRACE_SECONDS,
      negativeTtlSeconds: config.NEGATIVE_TTL_SECONDS,
      earlyRefreshBeta: config.CACHE_EARLY_REFRESH_BETA,
      leaseWaitMs: config.LEASE_WAIT_MS,
      loaderTimeoutMs: config.LOADER_TIMEOUT_MS,
      l1: app.cacheStack.l1,
      bus: app.cacheStack.bus,
      observer,
    } satisfies Partial<CacheOptions<unknown>>

    const products = createCache<Product>(config.CACHE_STRATEGY, {
      ...shared,
      name: 'product',
      initialVersion: config.CACHE_KEY_VERSION,
      validate: isProduct,
      tags: (product) => [categoryTag(product.category)],
    })
    const pages = createCache<ProductPage>(config.CACHE_STRATEGY, {
      ...shared,
      name: 'product_list',
      validate: isProductPage,
      tags: () => [LIST_PAGES_TAG],
    })
    for (const cache of [products, pages]) {
      await cache.start()
      app.addHook('onClose', () => cache.close())
    }

    const repository = createProductRepository(app.database, {
      extraLatencyMs: config.DB_EXTRA_LATENCY_MS,
    })
    app.decorate('catalog', new ProductCatalog(repository, { products, pages }))
  },
  { name: 'catalog', dependencies: ['dependencies', 'metrics', 'cache-stack'] },
)
