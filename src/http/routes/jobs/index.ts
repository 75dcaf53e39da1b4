import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Job } from 'bullmq'
import { AppError } from '../../../errors.js'
import { problemResponses } from '../../schemas/common.js'
import { JOB_STATES, JobIdParams, JobSchema } from '../../schemas/jobs.js'

type JobState = (typeof JOB_STATES)[number]

/** BullMQ has a few more states than the API promises; they are all still waiting to run. */
function stateOf(state: string): JobState {
  return (JOB_STATES as readonly string[]).includes(state) ? (state as JobState) : 'waiting'
}

const isoOrNull = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null)

const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/jobs/:id',
    {
      // A job tells which products were written and why a write failed: the writer's business,
      // and the writer holds the token (job ids are guessable: a product id and a version).
      onRequest: app.requireAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'Follow a background job: its state, attempts, result or failure reason',
        params: JobIdParams,
        response: { 200: JobSchema, ...problemResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const { id } = request.params
      // The state first, then the job: read the other way round, a job finishing in between
      // would show up as completed with the result it did not have yet.
      let state: string
      let job: Job | undefined
      try {
        state = await app.queue.getJobState(id)
        job = state === 'unknown' ? undefined : await app.queue.getJob(id)
      } catch (error) {
        throw new AppError('service_unavailable', 'The job queue (Redis) did not answer; retry', {
          cause: error,
        })
      }
      if (!job) throw new AppError('not_found', `Job ${id} does not exist`)
      return {
        id: String(job.id),
        name: job.name,
        state: stateOf(state),
        attempts: job.attemptsMade,
        max_attempts: job.opts.attempts ?? 1,
        result: job.returnvalue ?? null,
        failed_reason: job.failedReason || null,
        created_at: isoOrNull(job.timestamp),
        processed_at: isoOrNull(job.processedOn),
        finished_at: isoOrNull(job.finishedOn),
      }
    },
  )
}

export default jobRoutes
