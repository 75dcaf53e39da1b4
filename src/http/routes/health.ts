import { describeTopology } from '@caching-strategies/cache'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { DEFAULT_RETRY_AFTER_SECONDS } from '../../errors.js'
import { RedisTopologySchema } from '../schemas/redis-topology.js'

const DependencyState = Type.Union([Type.Literal('up'), Type.Literal('down')])
const ReadinessSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Object({ redis: DependencyState, database: DependencyState }),
})

/** A dependency that does not answer within this is reported down. */
const CHECK_TIMEOUT_MS = 1000

async function answers(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS)
  })
  try {
    await Promise.race([check(), timeout])
    return 'up'
  } catch {
    return 'down'
  } finally {
    clearTimeout(timer)
  }
}

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['operations']

  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Liveness: 200 while the process runs, with the Redis topology it runs on',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), redis: RedisTopologySchema }),
        },
      },
    },
    // From the client's own state: no round trip, so it answers while Redis is down too.
    async () => ({ status: 'ok' as const, redis: describeTopology(app.redis) }),
  )

  app.get(
    '/ready',
    {
      schema: {
        tags,
        summary:
          'Readiness: 200 only when Redis and the database answer, else 503 (with Retry-After), ' +
          'whose checks name the one that does not',
        response: {
          200: ReadinessSchema,
          503: { ...ReadinessSchema, headers: { 'retry-after': { type: 'string' } } },
        },
      },
    },
    async (_request, reply) => {
      const [redis, database] = await Promise.all([
        answers(() => app.redis.ping()),
        answers(() => app.database.ping()),
      ])
      const ready = redis === 'up' && database === 'up'
      // Like every 503 (errors.ts): when to ask again.
      if (!ready) reply.code(503).header('retry-after', String(DEFAULT_RETRY_AFTER_SECONDS))
      return {
        status: ready ? ('ready' as const) : ('unavailable' as const),
        checks: { redis, database },
      }
    },
  )
}

export default healthRoutes
