import type { RedisClient } from '@caching-strategies/cache'
import {
  type CacheOptions,
  duplicateClient,
  InvalidationBus,
  MemoryTier,
} from '@caching-strategies/cache'
import type { Queue } from 'bullmq'
import { type ListPageCaching, listPageLifetime } from './catalog/list-page-policy.js'
import {
  categoryTag,
  isCachedProduct,
  isCachedProductPage,
  LIST_PAGES_TAG,
  type Product,
  type ProductPage,
} from './catalog/product.js'
import { ProductCatalog } from './catalog/product-catalog.js'
import { ReadCounter } from './catalog/read-counter.js'
import { type Config, ConfigError, protectionOn } from './config.js'
import { ConsistencyMonitor } from './consistency/consistency-monitor.js'
import { WriteLog } from './consistency/write-log.js'
import type { Database } from './db/client.js'
import { createProductRepository } from './db/product-repository.js'
import { timedRepository } from './db/timed-repository.js'
import {
  cacheMetricsObserver,
  exportCacheSeries,
  exportConsistencySeries,
  type Metrics,
  observeMemoryTier,
  observeQueue,
  repositoryMetricsObserver,
} from './metrics.js'
import { openCatalogQueue } from './queues/catalog-queue.js'
import { createCache } from './strategies/create-cache.js'
import type { ReadThroughCache } from './strategies/read-through-cache.js'
import { PendingWrites } from './write-behind/pending-writes.js'
import { ProductWriteBehind } from './write-behind/product-write-behind.js'
import { type Durability, RedisDurability } from './write-behind/redis-durability.js'

/** The few logger methods the services use: Fastify's logger and pino both fit. */
export interface Logger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface Services {
  catalog: ProductCatalog
  /** Audits the product cache against the database (not on ROLE=worker: it serves no reads). */
  consistency: ConsistencyMonitor<Product> | undefined
  /** The in-process L1 and the bus that keeps every instance's L1 correct (`full` only). */
  l1: MemoryTier | undefined
  bus: InvalidationBus | undefined
  queue: Queue
  close(): Promise<void>
}

/**
 * Composes what both the API and the worker run on: the product caches (their events feed the
 * metrics), the repository, the job queue, and the catalog use cases over them.
 */
export async function openServices(
  config: Config,
  deps: { database: Database; redis: RedisClient },
  {
    metrics,
    logger,
    listPageCaching,
  }: {
    metrics: Metrics
    logger: Logger
    /** Which list pages are cached (`every-page`: only to show what the bound prevents). */
    listPageCaching?: ListPageCaching
  },
): Promise<Services> {
  // First: a WRITE_MODE this Redis cannot honour stops start-up before anything is opened.
  const durability = await openDurability(config, deps.redis, logger)
  const closers: Array<() => Promise<unknown>> = [async () => durability.stop()]
  const { l1, bus } = await openCacheStack(config, deps.redis, metrics, logger)
  if (bus) closers.push(() => bus.close())

  let lastWarnedAt = 0
  const observer = cacheMetricsObserver(
    metrics,
    (cache, operation, error) => {
      // While Redis is down every read fails over; one line a second says so without flooding.
      if (Date.now() - lastWarnedAt < 1000) return
      lastWarnedAt = Date.now()
      logger.warn({ err: error, cache, operation }, 'cache call failed; carrying on without Redis')
    },
    // Each cache notices on its own; the products' notice says, once, what else was lost.
    (cache) => {
      if (cache !== 'product') return
      logger.error(
        { cache },
        'Redis lost its data (restarted empty or flushed): every instance dropped its L1 and ' +
          'raised the shared versions again, but writes staged for write-behind and not yet ' +
          'persisted, and queued jobs, may be lost with it',
      )
    },
    (cache) =>
      logger.warn(
        { cache },
        'a Redis master was replaced (failover): its last writes may be lost with it, so L1 ' +
          'was dropped and the key version bumped; entries load again from the database',
      ),
  )
  const shared = {
    redis: deps.redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    graceSeconds: config.CACHE_GRACE_SECONDS,
    negativeTtlSeconds: config.NEGATIVE_TTL_SECONDS,
    earlyRefreshBeta: config.CACHE_EARLY_REFRESH_BETA,
    leaseWaitMs: config.LEASE_WAIT_MS,
    loaderTimeoutMs: config.LOADER_TIMEOUT_MS,
    protections: {
      tagFloor: protectionOn(config, 'tag-floor'),
      resetDetection: protectionOn(config, 'reset-detection'),
      uniqueGenerations: protectionOn(config, 'unique-generations'),
      retryInvalidations: protectionOn(config, 'bus-recovery'),
      failoverDetection: protectionOn(config, 'failover-detection'),
    },
    l1,
    bus,
    observer,
  } satisfies Partial<CacheOptions<unknown>>
  const products = createCache<Product>(config.CACHE_STRATEGY, {
    ...shared,
    name: 'product',
    initialVersion: config.CACHE_KEY_VERSION,
    validate: isCachedProduct,
    tags: (product) => [categoryTag(product.category)],
  })
  const pages = createCache<ProductPage>(config.CACHE_STRATEGY, {
    ...shared,
    // Pages have a lifetime of their own, shorter: see LIST_PAGE_LIFETIME.
    ...listPageLifetime({ ttlSeconds: shared.ttlSeconds, graceSeconds: shared.graceSeconds }),
    name: 'product_list',
    validate: isCachedProductPage,
    tags: () => [LIST_PAGES_TAG],
  })
  exportCacheSeries(metrics, ['product', 'product_list'])
  for (const cache of [products, pages]) {
    await cache.start()
    closers.push(() => cache.close())
  }

  const queue = openCatalogQueue(config)
  observeQueue(metrics, queue)
  closers.push(async () => {
    await queue.close()
    queue.disconnect()
  })

  const repository = timedRepository(
    createProductRepository(deps.database, { extraLatencyMs: config.DB_EXTRA_LATENCY_MS }),
    repositoryMetricsObserver(metrics),
  )
  const reads = new ReadCounter({
    redis: deps.redis,
    key: `${config.REDIS_KEY_PREFIX}reads:product`,
    onDroppedFlush: (error) => logger.warn({ err: error }, 'dropped a batch of read counts'),
  })
  // The entry point closes the Redis client after the services, so the last flush still lands.
  closers.push(() => reads.close())
  // Stages and waits for replicas (WAIT blocks its connection) beside the cache's connection.
  const stager = duplicateClient(deps.redis, {
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS + config.WRITE_BEHIND_REPLICA_WAIT_MS,
    name: 'write-behind',
  })
  closers.push(async () => stager.disconnect())
  const writeBehind = new ProductWriteBehind({
    pending: new PendingWrites({ redis: deps.redis, stager, keyPrefix: config.REDIS_KEY_PREFIX }),
    replication: {
      replicasRequired: () => config.WRITE_BEHIND_MIN_REPLICAS ?? (durability.replicasSeen ? 1 : 0),
      waitMs: config.WRITE_BEHIND_REPLICA_WAIT_MS,
    },
    repository,
    queue,
    caches: { products, pages },
    mode: config.WRITE_MODE,
    durability: protectionOn(config, 'persistence-check') ? durability : TRUSTED_BLINDLY,
    refuseWithoutHold: protectionOn(config, 'hold-refusal'),
    onError: (error, what) => logger.warn({ err: error }, `write-behind: could not ${what}`),
  })
  const consistency =
    config.ROLE === 'worker'
      ? undefined
      : openConsistencyMonitor(
          config,
          { products, writeBehind, redis: deps.redis },
          metrics,
          logger,
        )
  if (consistency) closers.push(async () => consistency.stop())
  const catalog = new ProductCatalog(repository, { products, pages }, queue, reads, writeBehind, {
    listPageCaching,
    ...(consistency ? { audit: consistency } : {}),
  })
  return {
    catalog,
    consistency,
    l1,
    bus,
    queue,
    async close() {
      for (const close of closers.reverse()) await close()
    },
  }
}

/** The consistency monitor over the product cache, started, its events wired to metrics and logs. */
function openConsistencyMonitor(
  config: Config,
  parts: {
    products: ReadThroughCache<Product>
    writeBehind: ProductWriteBehind
    redis: RedisClient
  },
  metrics: Metrics,
  logger: Logger,
): ConsistencyMonitor<Product> {
  exportConsistencySeries(metrics, 'product')
  const monitor = new ConsistencyMonitor<Product>({
    cache: parts.products,
    versionOf: (product) => product.version,
    truth: async (id) => {
      const product = await parts.writeBehind.reads.load(id)
      return product && { version: product.version, updatedAt: Date.parse(product.updated_at) }
    },
    writes: new WriteLog(parts.redis, config.REDIS_KEY_PREFIX),
    checkDelaysMs:
      config.CONSISTENCY_CHECK_DELAYS_MS === 'none'
        ? []
        : config.CONSISTENCY_CHECK_DELAYS_MS.split(',').map(Number),
    samplesPerSecond: config.CONSISTENCY_SAMPLE_PER_SEC,
    observer: {
      checked: (cache, kind, result) => metrics.cacheConsistencyChecks.inc({ cache, kind, result }),
      staleFound: (cache, finding, repaired) => {
        metrics.cacheConsistencyStaleAge.observe({ cache }, finding.wrongForMs / 1000)
        logger.warn(
          { cache, ...finding, repaired },
          repaired
            ? 'consistency monitor: a stale entry was found and invalidated everywhere'
            : 'consistency monitor: a stale entry was found; Redis did not take its invalidation yet',
        )
      },
    },
  })
  monitor.start()
  return monitor
}

/** With the persistence check off (to teach what it prevents): any Redis is trusted. */
const TRUSTED_BLINDLY = {
  deferrable: true,
  current: { deferrable: true, reason: 'persistence-check is off', source: 'declared' },
} as const

/**
 * Whether Redis may hold deferred writes, checked now and on every reconnect, and said once in
 * the log each time it changes. WRITE_MODE=behind on a Redis that would lose them stops start-up.
 */
async function openDurability(config: Config, redis: RedisClient, logger: Logger) {
  const durability = new RedisDurability(redis, {
    declared: config.REDIS_PERSISTENCE,
    onChange: (judged: Durability) => {
      const details = { reason: judged.reason, source: judged.source }
      if (judged.deferrable) logger.info(details, 'write-behind is on: Redis keeps staged writes')
      else if (config.WRITE_MODE === 'behind') {
        logger.error(
          details,
          'write-behind is off: every write is synchronous until Redis persists',
        )
      } else {
        logger.warn(details, 'write-behind is off: Prefer: respond-async is answered synchronously')
      }
    },
  })
  const first = await durability.start()
  if (config.WRITE_MODE === 'behind' && first?.deferrable === false) {
    durability.stop()
    throw new ConfigError(
      `WRITE_MODE=behind needs a Redis that keeps staged writes, and this one does not: ` +
        `${first.reason}. Set appendonly yes (appendfsync always or everysec) and ` +
        'maxmemory-policy noeviction, or WRITE_MODE=through',
    )
  }
  return durability
}

/** The L1 tier and the invalidation bus, for the `full` strategy; `naive` and `none` use neither. */
async function openCacheStack(
  config: Config,
  redis: RedisClient,
  metrics: Metrics,
  logger: Logger,
) {
  if (config.CACHE_STRATEGY !== 'full') return { l1: undefined, bus: undefined }
  const l1 = new MemoryTier({
    maxItems: config.L1_MAX_ITEMS,
    maxBytes: config.L1_MAX_BYTES,
    ttlMs: config.L1_TTL_SECONDS * 1000,
  })
  observeMemoryTier(metrics, l1)
  const { cacheBusMessages, cacheBusPublishRetries, cacheBusDropped, cacheBusMessagesLost } =
    metrics
  const recovers = protectionOn(config, 'bus-recovery')
  const bus = new InvalidationBus({
    publisher: redis,
    channel: `${config.REDIS_KEY_PREFIX}cache:bus`,
    // With the protection off (to teach what it prevents): one try per publish, no heartbeats,
    // and no suspicion after a reconnect, so a peer never learns of an invalidation it missed.
    ...(recovers ? {} : { retryWindowMs: 0, heartbeatMs: 0, lossOnResubscribe: false }),
    observer: {
      sent: () => cacheBusMessages.inc({ direction: 'sent' }),
      retried: () => cacheBusPublishRetries.inc(),
      dropped: (reason) => {
        cacheBusDropped.inc({ reason })
        logger.warn({ reason }, 'cache bus gave up on an invalidation; peers will clear their L1')
      },
      messagesLost: (reason) => {
        cacheBusMessagesLost.inc({ reason })
        logger.info({ reason }, 'cache bus: invalidations may have been missed; L1 cleared')
      },
      received: () => cacheBusMessages.inc({ direction: 'received' }),
      rejected: (reason) => {
        cacheBusMessages.inc({ direction: 'rejected' })
        logger.warn({ reason }, 'rejected an invalid cache bus message')
      },
      error: (error) => logger.warn({ err: error }, 'cache bus error'),
    },
  })
  await bus.start()
  return { l1, bus }
}
