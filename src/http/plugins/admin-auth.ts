import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for writes and cache administration: `Authorization: Bearer <ADMIN_TOKEN>`. */
    requireAdmin: preHandlerAsyncHookHandler
  }
}

// Hashing both sides gives equal-length buffers, so the comparison's time says nothing
// about the token's length or how many leading characters matched.
const digest = (value: string) => createHash('sha256').update(value).digest()

export default fp<{ adminToken: string | undefined }>(
  async (app, options) => {
    let token = options.adminToken
    if (!token) {
      token = randomBytes(24).toString('base64url')
      app.log.warn({ adminToken: token }, 'ADMIN_TOKEN is not set: generated one for this run')
    }
    const expected = digest(token)

    app.decorate('requireAdmin', async (request, reply) => {
      const match = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')
      if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
        reply.header('www-authenticate', 'Bearer')
        throw new AppError('unauthorized')
      }
    })
  },
  { name: 'admin-auth' },
)
