/**
 * Reference 2: the ceiling of an L2 hit. The least an endpoint can do to answer a product from
 * Redis: one GET of the entry the service would store, JSON.parse, reply with its value in the
 * service's envelope. No L1, no validation, no versions, no metrics, no failure policy: the
 * default ioredis client, as a tutorial would write it. PATCH writes the entry back (one SET).
 *
 *   PORT=… REDIS_URL=… REF_KEY_PREFIX=bench:…:ref: REF_BODY_FILE=body.json \
 *     node --import tsx bench/references/fastify-ioredis.ts
 */
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import { Redis } from 'ioredis'

const port = Number(process.env.PORT ?? 0)
const prefix = process.env.REF_KEY_PREFIX ?? 'ref:'
const bodyFile = process.env.REF_BODY_FILE
if (!bodyFile) throw new Error('REF_BODY_FILE is required')
const body: { data: unknown } = JSON.parse(readFileSync(bodyFile, 'utf8'))
const entry = JSON.stringify({ value: body.data, storedAt: 0, freshUntil: 0, loadMs: 0 })

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
redis.on('error', () => {}) // reconnects on its own; a request that fails answers 500

const app = Fastify({ logger: false })
app.get('/health', async () => ({ status: 'ok' }))
app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
  const raw = await redis.get(`${prefix}${request.params.id}`)
  if (raw === null) return reply.code(404).send({ error: 'not cached' })
  const stored: { value: unknown } = JSON.parse(raw)
  return { source: 'cache', data: stored.value }
})
app.patch<{ Params: { id: string } }>('/products/:id', async (request) => {
  await redis.set(`${prefix}${request.params.id}`, entry)
  return body
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    redis.disconnect()
    void app.close().then(() => process.exit(0))
  })
}
await app.listen({ port, host: '127.0.0.1' })
