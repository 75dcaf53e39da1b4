import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'
import { bearerToken, TOKEN_PARAM } from './admin-auth.js'
import { sendProblem } from './problem-details.js'

/** Where the board's page, its API and its static files live. */
export const QUEUE_BOARD_PATH = '/admin/queues'

/**
 * Set by opening `/admin/queues?token=<ADMIN_TOKEN>` once (a browser cannot send a bearer
 * header): a signed session, `{ id, expires }`, that holds no token.
 */
export const BOARD_SESSION_COOKIE = 'board_session'
/** How long a session lasts: the cookie's Max-Age too, so the browser drops it as it expires. */
export const BOARD_SESSION_MAX_AGE_SECONDS = 8 * 60 * 60
const MAX_AGE_MS = BOARD_SESSION_MAX_AGE_SECONDS * 1000
/**
 * What the sessions' key is derived from the admin token for (`app.adminKey`): a new token
 * voids every session.
 */
export const BOARD_SESSION_KEY_PURPOSE = 'queue-board session v1'
/** The cookie the board set before sessions, the token itself: cleared at every login. */
const LEGACY_COOKIE = 'admin_token'

export interface BoardSession {
  /** Random: no two sessions alike, and one to name in the log. */
  id: string
  /** When it ends, in milliseconds since the epoch. */
  expires: number
}

/** A session that starts `now`. */
export function newBoardSession(now = Date.now()): BoardSession {
  return { id: randomBytes(12).toString('base64url'), expires: now + MAX_AGE_MS }
}

const signature = (key: Buffer, payload: string) =>
  createHmac('sha256', key).update(payload).digest('base64url')

/** A cookie value: the session as base64url JSON, a dot, its HMAC-SHA256 under `key`. */
export function signBoardSession(key: Buffer, session: BoardSession): string {
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url')
  return `${payload}.${signature(key, payload)}`
}

/** The session a cookie value holds if `key` signed it and it is still running; else undefined. */
export function verifyBoardSession(
  key: Buffer,
  value: string,
  now = Date.now(),
): BoardSession | undefined {
  const dot = value.lastIndexOf('.')
  if (dot === -1) return undefined
  const payload = value.slice(0, dot)
  // Compared as the text the signer writes, in constant time: decoding it first would let other
  // spellings of the same bytes through (base64url's last character carries spare bits).
  const presented = Buffer.from(value.slice(dot + 1))
  const expected = Buffer.from(signature(key, payload))
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return undefined
  }
  const session = parseSession(Buffer.from(payload, 'base64url').toString())
  // One ending later than a session lasts was signed when sessions lasted longer: not now.
  if (!session || session.expires <= now || session.expires > now + MAX_AGE_MS) return undefined
  return session
}

function parseSession(json: string): BoardSession | undefined {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { id, expires } = value as Record<string, unknown>
  if (typeof id !== 'string' || typeof expires !== 'number' || !Number.isFinite(expires)) {
    return undefined
  }
  return { id, expires }
}

/**
 * bull-board (the jobs of the catalog queue: inspect, retry, clean) at /admin/queues, behind the
 * admin token: `Authorization: Bearer <token>`, or the session the `?token=` link opens. Its
 * routes are hidden from the OpenAPI document and declare no schemas (the board validates its
 * own input), so our strict validator never sees them; they keep the board's own error handler,
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

    const sessionKey = app.adminKey(BOARD_SESSION_KEY_PURPOSE)
    app.addHook('onRequest', async (request, reply) => {
      const url = new URL(request.url, 'http://board.invalid')
      const linkToken = request.method === 'GET' ? url.searchParams.get(TOKEN_PARAM) : null
      if (linkToken !== null) {
        if (!app.isAdminToken(linkToken)) return refuse(request, reply)
        const session = newBoardSession()
        request.log.info({ session: session.id, client: request.ip }, 'queue board session opened')
        // Into a session, then out of the address bar: not bookmarked, shared or sent as a Referer.
        url.searchParams.delete(TOKEN_PARAM)
        const secure = request.protocol === 'https'
        return reply
          .header('set-cookie', [
            cookie(BOARD_SESSION_COOKIE, signBoardSession(sessionKey, session), {
              path: QUEUE_BOARD_PATH,
              maxAgeSeconds: BOARD_SESSION_MAX_AGE_SECONDS,
              secure,
            }),
            // The browser forgets the token an older version stored.
            cookie(LEGACY_COOKIE, '', { path: '/admin', maxAgeSeconds: 0, secure }),
          ])
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .redirect(url.pathname + url.search, 303)
      }
      // A bearer header, when sent, is the credential; the session only stands in for it.
      const bearer = bearerToken(request)
      if (bearer !== undefined) {
        if (!app.isAdminToken(bearer)) return refuse(request, reply)
        return
      }
      const value = cookieValue(request.headers.cookie, BOARD_SESSION_COOKIE)
      if (value === undefined || !verifyBoardSession(sessionKey, value)) {
        return refuse(request, reply)
      }
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

function cookie(
  name: string,
  value: string,
  options: { path: string; maxAgeSeconds: number; secure: boolean },
): string {
  const attributes = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
  ]
  // Only when the request came over TLS (to us, or to a trusted proxy: X-Forwarded-Proto):
  // browsers refuse a Secure cookie from a plain-http page, which would leave the board shut.
  if (options.secure) attributes.push('Secure')
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
