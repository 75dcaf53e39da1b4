import type { Worker } from 'bullmq'
import fp from 'fastify-plugin'
import type { Config } from '../../config.js'
import { startCatalogWorker } from '../../jobs/catalog-worker.js'

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
    const worker = startCatalogWorker(config, { catalog: app.catalog, config }, app.metrics)
    app.decorate('worker', worker)
    app.addHook('preClose', async () => {
      await worker.close()
    })
  },
  { name: 'worker', dependencies: ['services', 'metrics'] },
)
