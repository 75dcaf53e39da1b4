import { createRedisClient } from '@caching-strategies/cache'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { expect } from 'vitest'
import { buildApp } from '../../../src/app.js'
import type { Config } from '../../../src/config.js'
import { PendingWrites } from '../../../src/write-behind/pending-writes.js'
import { startCluster } from '../../support/cluster.js'
import { drained, rowOf } from '../../worker/write-behind-support.js'
import { type ModelProduct, pick } from './catalog-model.js'

/**
 * What the model test runs against: API instances (no worker in them) and one worker app, each
 * with its own Redis connections, on one SQLite database and one key prefix of a Redis server
 * of the test's own; and an admin connection to stall and flush that server with.
 */
export interface ModelSystem {
  apps: FastifyInstance[]
  worker: FastifyInstance
  config: Config
  admin: Redis
  /** The ids pending in Redis, with their versions: what a drain that never ends waits on. */
  pendingVersions(): Promise<Map<number, number>>
  /** The product as the service knows it, no cache between: its pending state, else its row. */
  stateOf(id: number): Promise<ModelProduct>
  close(): Promise<void>
}

export async function startModelSystem(
  size: number,
  env: Record<string, string>,
): Promise<ModelSystem> {
  const cluster = await startCluster(size, { ...env, ROLE: 'api' })
  const [first] = cluster.apps
  if (first === undefined) throw new Error('a system needs an API instance')
  const config = cluster.config
  // Its own connection, as a worker process would have: a stall or a timeout on one instance's
  // client says nothing of another's.
  const workerRedis = createRedisClient(config.REDIS_URL, {
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  })
  const worker = await buildApp(
    { ...config, ROLE: 'worker' },
    { database: first.database, redis: workerRedis },
  )
  await worker.ready()
  // No command timeout: the admin must outlast the stalls it causes.
  const admin = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 })
  const pending = new PendingWrites({ redis: admin, keyPrefix: config.REDIS_KEY_PREFIX })
  return {
    apps: cluster.apps,
    worker,
    config,
    admin,
    async pendingVersions() {
      const versions = new Map<number, number>()
      for await (const id of pending.ids()) {
        versions.set(id, (await pending.read(id)).pending?.version ?? Number.NaN)
      }
      return versions
    },
    async stateOf(id) {
      return pick((await pending.read(id)).pending?.state ?? (await rowOf(first, id)))
    },
    async close() {
      await worker.close()
      workerRedis.disconnect()
      await cluster.close()
      admin.disconnect()
    },
  }
}

/**
 * How long `check` took to answer true, polled (every 20 ms, on a timer, so the event loop's I/O
 * runs in between: in-process injects do none) for at most `timeoutMs`; undefined if it never
 * did. A check that throws (a Redis call timing out in a stall) counts as "not yet".
 */
export function msUntil(check: () => Promise<boolean>, timeoutMs: number) {
  const started = performance.now()
  return expect
    .poll(check, { timeout: timeoutMs, interval: 20 })
    .toBe(true)
    .then(
      () => performance.now() - started,
      () => undefined,
    )
}

/**
 * Lets the worker persist every staged write: resumes it if paused, brings its sweep forward
 * (every 30 s, it queues a job for a write staged without one: a staging call that timed out
 * yet ran, a job that used up its attempts in a stall; asked again through a stall), then waits
 * until nothing is pending and no persist job is left. Answers how long that took, or undefined.
 */
export async function drain(system: ModelSystem, timeoutMs: number) {
  const [app] = system.apps
  if (app === undefined) throw new Error('a system needs an API instance')
  system.worker.worker?.resume()
  const started = performance.now()
  await msUntil(async () => (await system.worker.catalog.sweepPendingWrites()) >= 0, timeoutMs)
  const drainedAfter = await msUntil(() => drained(app, system.config), timeoutMs)
  return drainedAfter === undefined ? undefined : performance.now() - started
}
