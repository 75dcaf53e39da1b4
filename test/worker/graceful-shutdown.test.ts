import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ADMIN_TOKEN, auth, sqlite, startTestApp, type TestApp } from '../support/app.js'
import type { TestDatabase } from '../support/databases.js'
import { call, type ServerProcess, spawnServer } from '../support/processes.js'
import { uniquePrefix } from '../support/redis.js'

/**
 * SIGTERM in the middle of traffic: every request the server accepted is answered in full, every
 * job it acknowledged (202) completes — in this process before it exits, or in the next worker.
 */
describe('graceful shutdown under load', () => {
  let database: TestDatabase
  let server: ServerProcess | undefined
  let next: TestApp | undefined
  const env = {
    REDIS_KEY_PREFIX: uniquePrefix(),
    QUEUE_PREFIX: `t-${crypto.randomUUID()}`,
    ADMIN_TOKEN,
    SEED_PRODUCTS: '50',
    DB_EXTRA_LATENCY_MS: '50', // slow reads: requests and jobs are under way at the signal
    ROLE: 'all',
  }
  beforeAll(async () => {
    database = await sqlite.create()
  })
  afterAll(async () => {
    server?.child.kill('SIGKILL')
    await next?.close()
    await database.cleanup()
  })

  it('loses no accepted request or job, and exits 0', async () => {
    server = await spawnServer({ ...env, DATABASE_URL: database.url })
    const { base, child, output } = server
    await vi.waitFor(
      async () => {
        expect(child.exitCode, output()).toBeNull()
        expect((await call(base, 'GET', '/health')).status).toBe(200)
      },
      { timeout: 20_000, interval: 100 },
    )

    let stopping = false
    const outcomes = { answered: 0, refused: 0, lost: [] as string[] }
    const acknowledgedJobs: string[] = []
    const client = async (n: number) => {
      for (let i = 0; !stopping || i < 1; i++) {
        const id = 1 + ((n * 7 + i) % 50)
        const regenerate = i % 4 === 0
        try {
          const answer = regenerate
            ? await call(base, 'POST', `/products/${id}/regenerate`, auth)
            : await call(base, 'GET', `/products/${id}`)
          outcomes.answered++
          if (answer.status === 202) acknowledgedJobs.push(JSON.parse(answer.body).jobId)
          else if (answer.status !== 200 && answer.status !== 503)
            outcomes.lost.push(`${answer.status}`)
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          if (code === 'ECONNREFUSED') outcomes.refused++
          else outcomes.lost.push(String(code ?? error)) // accepted, then dropped
          if (code === 'ECONNREFUSED') return
        }
      }
    }
    const clients = Array.from({ length: 12 }, (_, n) => client(n))
    // The signal lands in the middle of traffic: reads answered and jobs acknowledged, with 12
    // clients still sending (each waits 50 ms on the database, so requests are under way).
    await vi.waitFor(
      () => {
        expect(outcomes.answered).toBeGreaterThanOrEqual(50)
        expect(acknowledgedJobs.length).toBeGreaterThanOrEqual(5)
      },
      { timeout: 15_000, interval: 20 },
    )
    server.child.kill('SIGTERM')
    stopping = true
    const code = await server.exited
    await Promise.all(clients)

    console.info(
      `shutdown: ${outcomes.answered} answered, ${outcomes.refused} refused after close, ` +
        `${outcomes.lost.length} lost; ${acknowledgedJobs.length} jobs acknowledged`,
    )
    expect(code).toBe(0)
    expect(outcomes.lost).toEqual([])
    expect(acknowledgedJobs.length).toBeGreaterThan(0)

    // The next worker finishes whatever was still waiting.
    next = await startTestApp(
      { ...env, ROLE: 'all' },
      {
        name: 'sqlite',
        create: async () => ({ url: database.url, cleanup: async () => {} }),
      },
    )
    const started = performance.now()
    for (const jobId of acknowledgedJobs) {
      await vi.waitFor(
        async () => {
          const job = await next?.app.queue.getJob(jobId)
          expect(job, `job ${jobId} was lost`).toBeDefined()
          expect(await job?.getState()).toBe('completed')
        },
        { timeout: Math.max(1, 20_000 - (performance.now() - started)), interval: 50 },
      )
    }
  })
})
