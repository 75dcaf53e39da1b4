/**
 * Reference 1: the ceiling of an HTTP server in Node on this machine. A bare Fastify route that
 * answers GET /products/:id with the same JSON the service sends for a product, serialized per
 * request as the service must, and nothing else: no validation, no cache, no metrics, no headers.
 * PATCH answers the same (the read/write mix sends some).
 *
 *   PORT=… REF_BODY_FILE=body.json node --import tsx bench/references/bare-fastify.ts
 */
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const port = Number(process.env.PORT ?? 0)
const bodyFile = process.env.REF_BODY_FILE
if (!bodyFile) throw new Error('REF_BODY_FILE is required')
const body: unknown = JSON.parse(readFileSync(bodyFile, 'utf8'))

const app = Fastify({ logger: false })
app.get('/health', async () => ({ status: 'ok' }))
app.get('/products/:id', async () => body)
app.patch('/products/:id', async () => body)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)))
}
await app.listen({ port, host: '127.0.0.1' })
