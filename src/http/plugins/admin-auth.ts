import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'
import { sendProblem } from './problem-details.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook for writes and cache administration: `Authorization: Bearer <ADMIN_TOKEN>`.
     * It runs before the body is read, so an anonymous write is refused at once, whatever it sends.
     */
    requireAdmin: onRequestAsyncHookHandler
    /** Whether `candidate` is the admin token, compared in constant time. */
    isAdminToken(candidate: string): boolean
    /**
     * A key derived from the admin token for one purpose (see `deriveAdminKey`): what it signs
     * is void once the token changes.
     */
    adminKey(purpose: string): Buffer
  }
}

// Hashing both sides gives equal-length buffers, so the comparison's time says nothing
// about the token's length or how many leading characters matched.
const digest = (value: string) => createHash('sha256').update(value).digest()

/** Where the queue board lives (QUEUE_BOARD_PATH is under it), with its own credential check. */
const ADMIN_AREA = '/admin/'

/** The query parameter the queue board's link carries the admin token in: never logged. */
export const TOKEN_PARAM = 'token'

/**
 * A 32-byte key for one `purpose` (HKDF-SHA256 of the admin token): signing with it, never with
 * the token itself, keeps what one purpose signs useless for another, and a new token voids all.
 */
export function deriveAdminKey(token: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', token, 'caching-strategies admin key', purpose, 32))
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
}

export default fp<{ adminToken: string | undefined }>(
  async (app, options) => {
    let token = options.adminToken
    if (!token) {
      token = randomBytes(24).toString('base64url')
      // As a field of its own: a JSON line keeps it apart, and the pretty lines of a terminal
      // show it on a line of its own (start/log-format.ts).
      app.log.warn(
        { adminToken: token },
        'ADMIN_TOKEN is not set: generated one for this run (set ADMIN_TOKEN to keep one)',
      )
    }
    const expected = digest(token)
    const isAdminToken = (candidate: string) => timingSafeEqual(digest(candidate), expected)

    app.decorate('isAdminToken', isAdminToken)
    app.decorate('adminKey', (purpose: string) => deriveAdminKey(token, purpose))
    app.decorate('requireAdmin', async (request, reply) => {
      // A client past its failures gets 429 whatever it sends, the right token too: were the
      // token still checked, 429 against 200 would tell a guess from the token, and the limit
      // would slow no one. Checked before the token, so the answer says nothing about it.
      const refusal = await app.authFailures.refusal(request)
      if (refusal) throw refusal
      const presented = bearerToken(request)
      if (!presented || !isAdminToken(presented)) {
        // A credential that failed counts (no header at all guesses nothing), as it is decided:
        // one atomic INCR, so even a burst in parallel gets at most AUTH_FAILURES_PER_MINUTE
        // answers that say "wrong token" per window.
        if (request.headers.authorization !== undefined) {
          const overLimit = await app.authFailures.record(request)
          if (overLimit) throw overLimit
        }
        reply.header('www-authenticate', 'Bearer')
        throw new AppError('unauthorized')
      }
    })

    // The queue board (queue-board.ts, which imports this file) checks its credentials in a
    // hook of its own: its refusals are counted once sent, and a client past its failures is
    // refused before the board's hook runs. Nothing else answers 401 without requireAdmin.
    // Callback hooks, not async ones: they run on every request, the hottest path included,
    // and must cost no promise there.
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.url.startsWith(ADMIN_AREA)) return done()
      app.authFailures.refusal(request).then((refusal) => {
        // Sent, not thrown: the board's routes keep the board's own error handler. An early
        // answer from a callback hook is sent instead of calling done().
        if (refusal) sendProblem(reply, request, refusal)
        else done()
      }, done)
    })
    app.addHook('onResponse', (request, reply, done) => {
      if (reply.statusCode !== 401 || !request.url.startsWith(ADMIN_AREA)) return done()
      app.authFailures.record(request).then(() => done(), done)
    })
  },
  { name: 'admin-auth', dependencies: ['rate-limit', 'problem-details'] },
)

const REDACTED = '[redacted]'

/** A URL as logged: the value of any `token` query parameter replaced, the rest as sent. */
export function withoutToken(url: string): string {
  const query = url.indexOf('?')
  if (query === -1) return url
  const parameters = url.slice(query + 1).split('&')
  let redacted = false
  for (const [index, parameter] of parameters.entries()) {
    // Named as the board reads it (URLSearchParams): `to%6Ben=…` or `token` alone count too.
    const [name] = new URLSearchParams(parameter).keys()
    if (name !== TOKEN_PARAM) continue
    parameters[index] = `${parameter.split('=', 1)[0]}=${REDACTED}`
    redacted = true
  }
  return redacted ? `${url.slice(0, query)}?${parameters.join('&')}` : url
}

/**
 * Logger options that keep admin credentials out of every log line: the request as Fastify
 * logs it (its fields) with the `token` query parameter redacted; the bytes of a request Node
 * could not parse (`rawPacket`, which Fastify logs at trace: its URL and headers); and, should a
 * serializer ever log headers, the Authorization and Cookie headers and the cookies a reply sets.
 */
export const credentialRedaction = {
  serializers: {
    req: (request: FastifyRequest) => ({
      method: request.method,
      url: withoutToken(request.url),
      version: request.headers['accept-version']?.toString(),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
    }),
  },
  redact: {
    paths: [
      'req.headers.authorization',
      'req.headers.cookie',
      'res.headers["set-cookie"]',
      'err.rawPacket',
    ],
    censor: REDACTED,
  },
}
