import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../../config.js'
import { AppError } from '../../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Failed admin authentications, counted per client in Redis (AUTH_FAILURES_PER_MINUTE). */
    authFailures: AuthFailures
  }
}

export interface AuthFailures {
  /** A 429 to answer with if this client has failed too often this minute; else undefined. */
  refusal(request: FastifyRequest): Promise<AppError | undefined>
  /**
   * Counts a failure of this client: a 429 to answer with instead of the 401 if it is one too
   * many. The first of a window, across instances (Redis counts), is logged at warn.
   */
  record(request: FastifyRequest): Promise<AppError | undefined>
}

const WINDOW_MS = 60_000

/** Routes probes and scrapes call, from one address and often: never limited. */
const UNLIMITED_ROUTES = new Set(['/health', '/ready', '/metrics'])

function tooManyRequests(retryAfterSeconds: number, detail: string): AppError {
  // At least 1 s: Redis down (the limiter skipped) or a window about to end both give 0.
  return new AppError('too_many_requests', detail, {
    retryAfterSeconds: Math.max(1, retryAfterSeconds),
  })
}

/**
 * Rate limits, with @fastify/rate-limit over the app's Redis, so every instance shares the counts
 * (keys under `<REDIS_KEY_PREFIX>rate-limit:`). Never a cause of failure: with Redis down or slow
 * (the client's command timeout), `skipOnError` lets the request through uncounted.
 *
 * - Failed admin authentications per client: `app.authFailures`, used by admin-auth. Only
 *   failures count, so an admin with the right token is never limited by its own traffic.
 * - Optionally, every request per client (RATE_LIMIT_PER_MINUTE; off by default): a hook on
 *   every route registered after this plugin.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const shared = {
      redis: app.redis,
      skipOnError: true,
      timeWindow: WINDOW_MS,
    }
    const namespace = `${config.REDIS_KEY_PREFIX}rate-limit:`
    const maxFailures = config.AUTH_FAILURES_PER_MINUTE

    // Its own instance of the plugin, in a scope of its own: its counter is its root store
    // (keys `<namespace>auth-failures:<ip>`); a limiter made with options would get a child store
    // named after a route it does not have. Not global: it counts only what `record` is told.
    let failures: ReturnType<typeof app.createRateLimit> | undefined
    if (maxFailures > 0) {
      await app.register(async (scope) => {
        await scope.register(rateLimit, {
          ...shared,
          global: false,
          max: maxFailures,
          nameSpace: `${namespace}auth-failures:`,
          // isExceeded and not isBanned: the count is exactly max + 1, the first refusal.
          ban: 1,
        })
        failures = scope.createRateLimit()
      })
    }

    app.decorate('authFailures', {
      async refusal(request) {
        const state = await failures?.(request, { increment: false })
        if (!state || state.isAllowed || !state.isExceeded) return undefined
        return tooManyRequests(state.ttlInSeconds, 'Too many failed authentications')
      },
      async record(request) {
        const state = await failures?.(request)
        if (!state || state.isAllowed || !state.isExceeded) return undefined
        if (!state.isBanned) {
          app.log.warn(
            { client: state.key, failures: maxFailures, retryAfterSeconds: state.ttlInSeconds },
            'too many failed admin authentications: refusing this client until the window ends',
          )
        }
        return tooManyRequests(state.ttlInSeconds, 'Too many failed authentications')
      },
    } satisfies AuthFailures)

    if (config.RATE_LIMIT_PER_MINUTE > 0) {
      await app.register(rateLimit, {
        ...shared,
        global: true,
        max: config.RATE_LIMIT_PER_MINUTE,
        nameSpace: `${namespace}requests:`,
        allowList: (request) => UNLIMITED_ROUTES.has(request.routeOptions.url ?? ''),
        errorResponseBuilder: (_request, context) =>
          tooManyRequests(
            Math.ceil(context.ttl / 1000),
            `More than ${context.max} requests a minute from this client`,
          ),
      })
    }
  },
  { name: 'rate-limit', dependencies: ['dependencies', 'problem-details'] },
)
