/**
 * Reference 3: the bare route (reference 1) plus what the service's HTTP contract makes any
 * route pay before it does any caching: the four headers of a cache hit (X-Cache, X-Cache-Tier,
 * Cache-Control, ETag), each validated by Node as it is written, the security headers every
 * answer carries (the service's own plugin), and a logger (with one, Fastify listens for the end
 * of every response). The gap between it and reference 1 is the contract's
 * price; the gap between it and the service is the cache's.
 *
 *   PORT=… REF_BODY_FILE=body.json node --import tsx bench/references/fastify-contract.ts
 */
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import securityHeaders from '../../src/http/plugins/security-headers.js'

const port = Number(process.env.PORT ?? 0)
const bodyFile = process.env.REF_BODY_FILE
if (!bodyFile) throw new Error('REF_BODY_FILE is required')
const body: { data: { version: number } } = JSON.parse(readFileSync(bodyFile, 'utf8'))
const freshUntil = Date.now() + 300_000

// The service's logger: pino at warn, no line per request.
const app = Fastify({ logger: { level: 'warn' }, disableRequestLogging: true })
await app.register(securityHeaders)
app.get('/health', async () => ({ status: 'ok' }))
app.get('/products/:id', async (_request, reply) => {
  const maxAge = Math.max(0, Math.floor((freshUntil - Date.now()) / 1000))
  reply.header('x-cache', 'HIT')
  reply.header('x-cache-tier', 'l1')
  reply.header('cache-control', `public, max-age=${maxAge}, stale-while-revalidate=3600`)
  reply.header('etag', `W/"${body.data.version}"`) // as the service: a weak read ETag
  return body
})
app.patch('/products/:id', async () => body)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)))
}
await app.listen({ port, host: '127.0.0.1' })
