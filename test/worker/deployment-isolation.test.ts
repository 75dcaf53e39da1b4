import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { PERSIST_PRODUCT_WRITE } from '../../src/queues/persist-product-write.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { persistentRedisUrl } from '../support/redis.js'
import { PATIENT_REDIS, POLL, patchLater, rowOf } from './write-behind-support.js'

const WRITES = 8

/** A deployment with its own database, key prefix and worker; the queue prefix as configured. */
async function deployment(queuePrefix: string): Promise<TestApp> {
  // An empty QUEUE_PREFIX counts as unset: the queue then lives under REDIS_KEY_PREFIX.
  const t = await startTestApp({ ...PATIENT_REDIS, ROLE: 'all', QUEUE_PREFIX: queuePrefix })
  onTestFinished(() => t.close())
  return t
}

/** Deferred writes on both deployments; answers how many of them reached their own database. */
async function writeOnBoth(deployments: TestApp[]): Promise<number> {
  for (let id = 1; id <= WRITES; id++) {
    for (const [index, t] of deployments.entries()) {
      expect((await patchLater(t.app, id, { name: `deployment ${index}` })).statusCode).toBe(202)
    }
  }
  // Every job finished: persisted, or "done" by the other deployment's worker (which found
  // nothing of its own to persist, and so left the write pending until a sweep).
  for (const t of deployments)
    await expect.poll(() => jobsFinished(t), { ...POLL, timeout: 15_000 }).toBe(true)
  let persisted = 0
  for (const [index, t] of deployments.entries()) {
    for (let id = 1; id <= WRITES; id++) {
      if ((await rowOf(t.app, id)).name === `deployment ${index}`) persisted++
    }
  }
  return persisted
}

/** No persist job left to run (the warm-up's next scheduled run may wait on). */
async function jobsFinished(t: TestApp): Promise<boolean> {
  const unfinished = await t.app.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])
  return !unfinished.some((job) => job?.name === PERSIST_PRODUCT_WRITE)
}

describe('two deployments on one Redis under different REDIS_KEY_PREFIX', () => {
  it('never see each other’s keys or jobs: every key starts with its prefix', async () => {
    const deployments = [await deployment(''), await deployment('')]
    expect(await writeOnBoth(deployments)).toBe(2 * WRITES)

    const prefixes = deployments.map((t) => t.config.REDIS_KEY_PREFIX)
    const admin = new Redis(persistentRedisUrl())
    onTestFinished(() => void admin.disconnect())
    for (const [index, prefix] of prefixes.entries()) {
      const other = prefixes[1 - index] as string
      const keys = await admin.keys(`*${prefix}*`) // test-only: a few dozen keys of our own
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) {
        expect(key.startsWith(prefix) || key.startsWith(`{${prefix}`), key).toBe(true)
        expect(key.includes(other), key).toBe(false)
      }
      expect(keys.some((key) => key.startsWith(`{${prefix}bull}:catalog:`))).toBe(true)
    }
  })

  it('control: sharing one queue prefix, one deployment’s worker takes the other’s jobs', async () => {
    const shared = `shared-${crypto.randomUUID()}`
    const deployments = [await deployment(shared), await deployment(shared)]
    const persisted = await writeOnBoth(deployments)
    console.info(
      `one queue for two deployments: ${persisted} of ${2 * WRITES} deferred writes persisted`,
    )
    expect(persisted).toBeLessThan(2 * WRITES)
  })
})
