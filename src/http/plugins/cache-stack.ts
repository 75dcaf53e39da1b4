import fp from 'fastify-plugin'
import { InvalidationBus, MemoryTier } from '../../cache/index.js'
import type { Config } from '../../config.js'
import { observeMemoryTier } from '../../metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** What this instance's caches share: the in-process L1 and the invalidation bus. */
    cacheStack: { l1: MemoryTier | undefined; bus: InvalidationBus | undefined }
  }
}

/**
 * The L1 tier and the bus that keeps every instance's L1 correct, for the `full` strategy;
 * `naive` and `none` use neither.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    if (config.CACHE_STRATEGY !== 'full') {
      app.decorate('cacheStack', { l1: undefined, bus: undefined })
      return
    }
    const l1 = new MemoryTier({
      maxItems: config.L1_MAX_ITEMS,
      maxBytes: config.L1_MAX_BYTES,
      ttlMs: config.L1_TTL_SECONDS * 1000,
    })
    observeMemoryTier(app.metrics, l1)

    const { cacheBusMessages } = app.metrics
    const bus = new InvalidationBus({
      publisher: app.redis,
      channel: `${config.REDIS_KEY_PREFIX}cache:bus`,
      observer: {
        sent: () => cacheBusMessages.inc({ direction: 'sent' }),
        received: () => cacheBusMessages.inc({ direction: 'received' }),
        rejected: (reason) => {
          cacheBusMessages.inc({ direction: 'rejected' })
          app.log.warn({ reason }, 'rejected an invalid cache bus message')
        },
        error: (error) => app.log.warn({ err: error }, 'cache bus error'),
      },
    })
    await bus.start()
    app.addHook('onClose', () => bus.close())
    app.decorate('cacheStack', { l1, bus })
  },
  { name: 'cache-stack', dependencies: ['dependencies', 'metrics'] },
)
