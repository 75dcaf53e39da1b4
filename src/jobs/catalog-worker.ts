import { type Job, UnrecoverableError, Worker } from 'bullmq'
import { type Config, protectionOn } from '../config.js'
import type { Metrics } from '../metrics.js'
import { CATALOG_QUEUE, queuePrefix, workerConnection } from '../queues/catalog-queue.js'
import { closeWorker } from './close-worker.js'
import { processors } from './index.js'
import type { JobContext } from './job-context.js'

/** Jobs one worker process runs at once. */
const CONCURRENCY = 4

export interface CatalogWorker {
  worker: Worker
  /** Stops taking jobs, lets the ones under way finish (not waiting on a Redis that is gone). */
  close(): Promise<void>
}

/**
 * Runs the catalog's jobs. Each job's outcome and duration go to the metrics; a job whose name
 * no processor knows fails at once rather than being retried into the failed set later.
 */
export function startCatalogWorker(
  config: Config,
  context: JobContext,
  metrics: Metrics,
  /** Where the raw error of a failed attempt goes (the job itself keeps words, not it). */
  onAttemptError: (job: Job, error: unknown) => void = () => {},
): CatalogWorker {
  const connection = workerConnection(config)
  const worker = new Worker(
    CATALOG_QUEUE,
    async (job: Job) => {
      const process = processors[job.name]
      if (!process) throw new UnrecoverableError(`No processor for job ${job.name}`)
      const stopTimer = metrics.jobDuration.startTimer({ queue: CATALOG_QUEUE, name: job.name })
      try {
        return await process(job, context)
      } catch (error) {
        throw inWords(job, error, onAttemptError)
      } finally {
        stopTimer()
      }
    },
    {
      connection,
      prefix: queuePrefix(config),
      concurrency: CONCURRENCY,
      // A crashed worker's job is retried once its lock lapses and a stalled check sees it.
      lockDuration: config.JOB_LOCK_MS,
      stalledInterval: config.JOB_LOCK_MS,
    },
  )
  worker.on('completed', (job) => {
    metrics.jobsTotal.inc({ queue: CATALOG_QUEUE, name: job.name, status: 'completed' })
  })
  worker.on('failed', (job, error) => {
    if (!job) return
    const final =
      error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
    metrics.jobsTotal.inc({
      queue: CATALOG_QUEUE,
      name: job.name,
      status: final ? 'failed' : 'retried',
    })
  })
  worker.on('error', () => {}) // connection errors: BullMQ reconnects by itself
  const untilRedisGone = protectionOn(config, 'shutdown-without-redis')
  return { worker, close: () => closeWorker(worker, connection, { untilRedisGone }) }
}

/**
 * A failed job's reason is shown to anyone with the board or GET /jobs/:id: our own words for a
 * refusal (UnrecoverableError), and for anything else (a database or Redis that did not answer)
 * a sentence with the error's code, never its raw message, which may carry hosts, SQL or values.
 * The raw error goes to the log.
 */
function inWords(job: Job, error: unknown, log: (job: Job, error: unknown) => void): Error {
  if (error instanceof UnrecoverableError) return error
  log(job, error)
  const code =
    error instanceof Error && 'code' in error && typeof error.code === 'string'
      ? error.code
      : error instanceof Error
        ? error.name
        : 'unknown'
  return new Error(
    `A dependency failed (${code}); the job is retried with backoff. The worker's log has the details.`,
    { cause: error },
  )
}
