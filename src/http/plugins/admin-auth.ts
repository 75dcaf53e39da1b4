import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'

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
      const presented = bearerToken(request)
      if (!presented || !isAdminToken(presented)) {
        reply.header('www-authenticate', 'Bearer')
        throw new AppError('unauthorized')
      }
    })
  },
  { name: 'admin-auth' },
)
