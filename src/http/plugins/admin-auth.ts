import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
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
  }
}

// Hashing both sides gives equal-length buffers, so the comparison's time says nothing
// about the token's length or how many leading characters matched.
const digest = (value: string) => createHash('sha256').update(value).digest()

/** Where the queue board lives (QUEUE_BOARD_PATH is under it), with its own credential check. */
const ADMIN_AREA = '/admin/'

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
}

export default fp<{ adminToken: string | undefined }>(
  async (app, options) => {
    let token = options.adminToken
    if (!token) {
      token = randomBytes(24).toString('base64url')
      app.log.warn({ adminToken: token }, 'ADMIN_TOKEN is not set: generated one for this run')
    }
    const expected = digest(token)
    const isAdminToken = (candidate: string) => timingSafeEqual(digest(candidate), expected)

    app.decorate('isAdminToken', isAdminToken)
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
