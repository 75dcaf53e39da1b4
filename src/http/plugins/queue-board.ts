import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'
import { bearerToken } from './admin-auth.js'
import { sendProblem } from './problem-details.js'

/** Where the board's page, its API and its static files live. */
export const QUEUE_BOARD_PATH = '/admin/queues'

/** Set by opening `/admin/queues?token=<ADMIN_TOKEN>` once: a browser cannot send a bearer header. */
const ADMIN_COOKIE = 'admin_token'
const ADMIN_COOKIE_PATH = '/admin'
const ADMIN_COOKIE_MAX_AGE_SECONDS = 8 * 60 * 60

/**
 * bull-board (the jobs of the catalog queue: inspect, retry, clean) at /admin/queues, behind the
 * admin token: `Authorization: Bearer <token>`, or the cookie the `?token=` link sets. Its routes
 * are hidden from the OpenAPI document and declare no schemas (the board validates its own
 * input), so our strict validator never sees them; they keep the board's own error handler,
 * while a refusal is ours: a 401 problem+json. Encapsulated, so the guard covers the board only.
 */
export default fp(
  async (app) => {
    const board = new FastifyAdapter().setBasePath(QUEUE_BOARD_PATH)
    createBullBoard({
      queues: [new BullMQAdapter(app.queue)],
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'Catalog jobs' } },
    })

    app.addHook('onRequest', async (request, reply) => {
      const url = new URL(request.url, 'http://board.invalid')
      const linkToken = request.method === 'GET' ? url.searchParams.get('token') : null
      if (linkToken !== null) {
        if (!app.isAdminToken(linkToken)) return refuse(request, reply)
        // Into a cookie, then out of the address bar: not bookmarked, shared or sent as a Referer.
        url.searchParams.delete('token')
        return reply
          .header('set-cookie', adminCookie(linkToken, request.protocol === 'https'))
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .redirect(url.pathname + url.search, 303)
      }
      // A bearer header, when sent, is the credential; the cookie only stands in for it.
      const presented = bearerToken(request) ?? cookieValue(request.headers.cookie, ADMIN_COOKIE)
      if (presented === undefined || !app.isAdminToken(presented)) return refuse(request, reply)
    })

    await app.register(board.registerPlugin(), { prefix: QUEUE_BOARD_PATH })
  },
  {
    name: 'queue-board',
    dependencies: ['services', 'admin-auth', 'problem-details'],
    encapsulate: true,
  },
)

function refuse(request: FastifyRequest, reply: FastifyReply) {
  reply.header('www-authenticate', 'Bearer')
  return sendProblem(reply, request, new AppError('unauthorized'))
}

function adminCookie(token: string, secure: boolean): string {
  const attributes = [
    `${ADMIN_COOKIE}=${encodeURIComponent(token)}`,
    `Path=${ADMIN_COOKIE_PATH}`,
    `Max-Age=${ADMIN_COOKIE_MAX_AGE_SECONDS}`,
    'HttpOnly',
    'SameSite=Strict',
  ]
  if (secure) attributes.push('Secure')
  return attributes.join('; ')
}

/** One cookie's value from a Cookie header; undefined when absent or not decodable. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const separator = pair.indexOf('=')
    if (separator === -1 || pair.slice(0, separator).trim() !== name) continue
    try {
      return decodeURIComponent(pair.slice(separator + 1).trim())
    } catch {
      return undefined
    }
  }
  return undefined
}
