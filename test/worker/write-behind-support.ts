import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { PERSIST_PRODUCT_WRITE } from '../../src/queues/persist-product-write.js'
import { PendingWrites } from '../../src/write-behind/pending-writes.js'
import { auth } from '../support/app.js'
import { persistentRedisEnv } from '../support/topology.js'

export const RESPOND_ASYNC = { ...auth, prefer: 'respond-async' }

/**
 * The Redis of a write-behind test: the suite's Redis with persistence (the service defers no
 * write on one that would lose it), and a command timeout for tests that count every write: on
 * a busy machine the 100 ms default can time out a write (a 503 whose outcome is unknown) or a
 * read's look-up of the pending state (the read then falls back to the database). Neither is
 * what they test.
 */
export const PATIENT_REDIS = { ...persistentRedisEnv(), REDIS_COMMAND_TIMEOUT_MS: '2000' }

/** PATCH with `Prefer: respond-async`. */
export function patchLater(
  app: FastifyInstance,
  id: number,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'PATCH',
    url: `/products/${id}`,
    headers: { ...RESPOND_ASYNC, ...headers },
    payload,
  })
}

export async function readProduct(app: FastifyInstance, id: number) {
  const response = await app.inject({ method: 'GET', url: `/products/${id}` })
  if (response.statusCode !== 200) throw new Error(`GET /products/${id}: ${response.statusCode}`)
  return { product: response.json().data, xCache: response.headers['x-cache'] }
}

/** The row itself, straight from the database (no cache, no pending state). */
export async function rowOf(app: FastifyInstance, id: number) {
  return app.database.db
    .selectFrom('products')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
}

/** The app's view of the pending writes, to look at their keys. */
export function pendingWrites(app: FastifyInstance, config: Config): PendingWrites {
  return new PendingWrites({ redis: app.redis, keyPrefix: config.REDIS_KEY_PREFIX })
}

/**
 * Options for `expect.poll` (and `vi.waitFor`) in the tests of the service: 10 s, looking every
 * 20 ms. Between looks the poll waits on a timer, so the event loop runs its I/O: an in-process
 * inject does none, and a bus message would otherwise never be delivered.
 */
export const POLL = { timeout: 10_000, interval: 20 } as const

/** The products with a write pending, from every master (the sweep's own scan). */
export async function idsPending(pending: PendingWrites): Promise<number[]> {
  const ids: number[] = []
  for await (const id of pending.ids()) {
    if ((await pending.read(id)).pending !== undefined && !ids.includes(id)) ids.push(id)
  }
  return ids
}

/**
 * Nothing pending and no persist job left to run: every acknowledged write has reached the
 * database. (Other jobs, e.g. the warm-up's next scheduled run, may wait on.)
 */
export async function drained(app: FastifyInstance, config: Config): Promise<boolean> {
  if ((await idsPending(pendingWrites(app, config))).length > 0) return false
  const unfinished = await app.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])
  return !unfinished.some((job) => job?.name === PERSIST_PRODUCT_WRITE)
}

/** An in-process worker (ROLE=worker) on the same database, Redis prefix and queue. */
export async function startWorkerApp(
  config: Config,
  app: FastifyInstance,
  env: Partial<Config> = {},
): Promise<FastifyInstance> {
  const worker = await buildApp(
    { ...config, ROLE: 'worker', ...env },
    { database: app.database, redis: app.redis },
  )
  await worker.ready()
  return worker
}
