import type { Worker } from 'bullmq'
import fp from 'fastify-plugin'
import type { Config } from '../../config.js'
import { startCatalogWorker } from '../../jobs/catalog-worker.js'
import { scheduleCacheWarmup } from '../../queues/cache-warmup.js'
import { startSweeping } from '../../write-behind/sweeper.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The job worker, when this process runs one (ROLE=all or worker). */
    worker: Worker | undefined
  }
}

/**
 * Runs the job worker beside the app. On close it stops taking jobs and lets the ones under way
 * finish (in `preClose`, while the catalog they use is still open); new HTTP requests are
 * already refused with 503 by then.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    if (config.ROLE === 'api') {
      app.decorate('worker', undefined)
      return
    }
    const { worker, close } = startCatalogWorker(
      config,
      { catalog: app.catalog, config },
      app.metrics,
      (job, error) =>
        app.log.warn({ err: error, job: job.id }, `job ${job.name} failed an attempt`),
    )
    app.decorate('worker', worker)
    // Every pending write gets a job that will run: now (an API may have died before queueing
    // one) and every little while (a job may have given up while the database was down).
    const sweeper = startSweeping(() => app.catalog.sweepPendingWrites(), {
      onError: (error) => app.log.warn({ err: error }, 'could not sweep the pending writes'),
    })
    app.addHook('preClose', () => sweeper.stop())
    // Not awaited: while Redis is down the queue waits for it, and start-up must not.
    const warmup = { cron: config.WARMUP_CRON, topN: config.WARMUP_TOP_N }
    scheduleCacheWarmup(app.queue, warmup).catch((error: unknown) => {
      app.log.error({ err: error, WARMUP_CRON: warmup.cron }, 'could not schedule the warm-up')
    })
    app.addHook('preClose', close)
  },
  { name: 'worker', dependencies: ['services', 'metrics'] },
)
