import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { auth } from '../support/app.js'
import { startCluster } from '../support/cluster.js'
import { type RedisServer, type RedisServerOptions, startRedisServer } from '../support/redis.js'
import { POLL, patchLater } from '../worker/write-behind-support.js'

/** How long every instance has to serve the truth again after a fault and a write. */
const FRESH_WITHIN_MS = 3000

type Fault = 'FLUSHALL' | 'restart empty'

async function twoInstances(options: RedisServerOptions, env: Record<string, string> = {}) {
  const server = await startRedisServer(options)
  onTestFinished(() => server.dispose())
  const cluster = await startCluster(2, { REDIS_URL: server.url, ...env })
  onTestFinished(() => cluster.close())
  const admin = new Redis(server.url)
  admin.on('error', () => {})
  onTestFinished(() => void admin.disconnect())
  return { server, cluster, admin, apps: cluster.apps as [FastifyInstance, FastifyInstance] }
}

async function strike(fault: Fault, server: RedisServer, admin: Redis, apps: FastifyInstance[]) {
  if (fault === 'FLUSHALL') await admin.flushall()
  else await server.restart()
  // Both instances talk to Redis again (a restart drops their connections for a moment).
  await expect
    .poll(async () => {
      const pings = await Promise.all(apps.map((app) => app.redis.ping().catch(() => 'down')))
      return pings.every((pong) => pong === 'PONG')
    }, POLL)
    .toBe(true)
}

async function rename(app: FastifyInstance, id: number, name: string) {
  const response = await app.inject({
    method: 'PATCH',
    url: `/products/${id}`,
    headers: auth,
    payload: { name },
  })
  expect(response.statusCode).toBe(200)
}

async function listedName(app: FastifyInstance, id: number): Promise<string | undefined> {
  const page = (await app.inject({ method: 'GET', url: '/products?limit=10' })).json()
  return page.items.find((product: { id: number }) => product.id === id)?.name
}

async function productName(app: FastifyInstance, id: number): Promise<string> {
  return (await app.inject({ method: 'GET', url: `/products/${id}` })).json().data.name
}

/** How long until every instance shows `expected` (ms), or undefined if one still does not. */
async function freshAfter(
  apps: FastifyInstance[],
  read: (app: FastifyInstance) => Promise<unknown>,
  expected: unknown,
) {
  const started = performance.now()
  try {
    await expect
      .poll(async () => (await Promise.all(apps.map(read))).every((value) => value === expected), {
        ...POLL,
        timeout: FRESH_WITHIN_MS,
      })
      .toBe(true)
    return performance.now() - started
  } catch {
    return undefined
  }
}

describe('Redis loses its data under two instances', () => {
  it.each([
    ['FLUSHALL', ''],
    ['restart empty', ''],
    ['FLUSHALL', 'tag-floor,reset-detection'],
    ['restart empty', 'tag-floor,reset-detection'],
  ] as const)('list pages after %s and a write (protections off: "%s")', async (fault, off) => {
    const { server, admin, apps } = await twoInstances(
      {},
      off ? { UNSAFE_DISABLE_PROTECTIONS: off } : {},
    )
    const [a] = apps
    for (let i = 1; i <= 3; i++) await rename(a, 1, `before ${i}`) // the list tag is at 3
    for (const app of apps) await listedName(app, 1)

    await strike(fault, server, admin, apps)
    for (const app of apps) expect(await listedName(app, 1)).toBe('before 3') // cached again
    await rename(a, 1, 'after the fault')

    const tookMs = await freshAfter(apps, (app) => listedName(app, 1), 'after the fault')
    console.info(
      `${fault}, protections off: "${off}": list pages on both instances ` +
        (tookMs === undefined
          ? `still stale after ${FRESH_WITHIN_MS} ms`
          : `fresh after ${Math.round(tookMs)} ms`),
    )
    if (off) expect(tookMs).toBeUndefined()
    else expect(tookMs).toBeDefined()
  })

  it.each([
    ['', 'dropped'],
    ['reset-detection', 'kept'],
  ] as const)(
    'a deferred write lost with a FLUSHALL is no longer shown from L1 (protections off: "%s")',
    async (off, shown) => {
      const { server, admin, apps } = await twoInstances(
        { appendonly: true },
        off ? { UNSAFE_DISABLE_PROTECTIONS: off } : {},
      )
      const [a] = apps
      const before = await productName(a, 2)
      expect((await patchLater(a, 2, { name: 'staged, never persisted' })).statusCode).toBe(202)
      await expect
        .poll(
          async () =>
            (await Promise.all(apps.map((app) => productName(app, 2)))).every(
              (name) => name === 'staged, never persisted',
            ),
          POLL,
        )
        .toBe(true)

      await strike('FLUSHALL', server, admin, apps) // no worker ran: the staged write is gone
      const tookMs = await freshAfter(apps, (app) => productName(app, 2), before)
      console.info(
        `a deferred write lost with a FLUSHALL, reset detection ${off ? 'off' : 'on'}: ` +
          (tookMs === undefined
            ? `still shown after ${FRESH_WITHIN_MS} ms`
            : `gone from both L1s after ${Math.round(tookMs)} ms`),
      )
      if (shown === 'dropped') {
        expect(tookMs).toBeDefined()
        for (const app of apps) {
          const metrics = await app.metrics.registry.getSingleMetricAsString(
            'cache_redis_resets_total',
          )
          expect(metrics).toMatch(/cache_redis_resets_total\{cache="product"\} 1/)
        }
      } else expect(tookMs).toBeUndefined()
    },
  )
})
