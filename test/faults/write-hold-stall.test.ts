import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { type RedisServer, startRedisServer } from '../support/redis.js'
import { drained, POLL, patchLater, rowOf, startWorkerApp } from '../worker/write-behind-support.js'

/** As the issue measured it: longer than the command timeout, shorter than a write's wait. */
const STALL_MS = 700
const ROUNDS = 5

describe('a Redis stall between a deferred write and a synchronous one', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedisServer({ appendonly: true, appendfsync: 'always' })
  })
  afterAll(() => server?.dispose())

  it('loses neither: the synchronous write waits out the stall, or is refused having changed nothing', async () => {
    const figures = await stallRounds(server)
    console.info(`hold protection on: ${summary(figures)}`)
    expect(figures.deferredLost).toBe(0)
    expect(figures.syncLost).toBe(0)
    expect(figures.refusedButWritten).toBe(0)
    expect(figures.acknowledged).toBeGreaterThan(0)
  })

  it('refuses with 503 and Retry-After, having changed nothing, when the stall outlasts its wait', async () => {
    const figures = await stallRounds(server, {}, { rounds: 1, stallMs: 4500 })
    console.info(`a 4.5 s stall: ${summary(figures)}`)
    expect(figures.refused).toBe(1)
    expect(figures.deferredLost).toBe(0)
    expect(figures.refusedButWritten).toBe(0)
  })

  it('control: written around the hold (the protection off), deferred writes are lost', async () => {
    const figures = await stallRounds(server, { UNSAFE_DISABLE_PROTECTIONS: 'hold-refusal' })
    console.info(`hold protection off: ${summary(figures)}`)
    expect(figures.deferredLost).toBeGreaterThan(0)
  })
})

interface Figures {
  rounds: number
  acknowledged: number
  refused: number
  deferredLost: number
  syncLost: number
  refusedButWritten: number
}

/**
 * Per product: a deferred write (202), then Redis stalls (CLIENT PAUSE) and a synchronous write
 * of another field runs into the stall. No worker runs meanwhile, so the deferred write is still
 * staged when the synchronous one arrives. Then a worker drains everything, and the rows say
 * what survived.
 */
async function stallRounds(
  server: RedisServer,
  env: Record<string, string> = {},
  { rounds = ROUNDS, stallMs = STALL_MS } = {},
) {
  // The production command timeout: the stall outlasts it, so the hold call times out.
  const t = await startTestApp({
    REDIS_URL: server.url,
    REDIS_COMMAND_TIMEOUT_MS: '100',
    ...env,
  })
  onTestFinished(() => t.close())
  const admin = new Redis(server.url)
  onTestFinished(() => void admin.disconnect())
  const figures: Figures = {
    rounds,
    acknowledged: 0,
    refused: 0,
    deferredLost: 0,
    syncLost: 0,
    refusedButWritten: 0,
  }
  const expected: Array<{ id: number; name: string; price: number | undefined; before: number }> =
    []
  for (let id = 1; id <= rounds; id++) {
    const before = (await rowOf(t.app, id)).price_cents
    const name = `deferred ${id}`
    await deferUntilAcknowledged(t, id, name)
    await admin.call('CLIENT', 'PAUSE', String(stallMs), 'ALL')
    const price = 100_000 + id
    const sync = await t.app.inject({
      method: 'PATCH',
      url: `/products/${id}`,
      headers: auth,
      payload: { price_cents: price },
    })
    expect([200, 503]).toContain(sync.statusCode)
    if (sync.statusCode === 503) {
      figures.refused++
      expect(sync.headers['retry-after']).toBeDefined()
      expect(sync.headers['content-type']).toMatch(/^application\/problem\+json/)
    } else figures.acknowledged++
    expected.push({ id, name, price: sync.statusCode === 200 ? price : undefined, before })
    await expect.poll(async () => (await admin.ping()) === 'PONG', POLL).toBe(true) // the stall is over
  }

  const worker = await startWorkerApp(t.config, t.app, { ROLE: 'worker' })
  onTestFinished(() => worker.close())
  await expect.poll(() => drained(t.app, t.config), { ...POLL, timeout: 15_000 }).toBe(true)
  for (const { id, name, price, before } of expected) {
    const row = await rowOf(t.app, id)
    if (row.name !== name) figures.deferredLost++
    if (price !== undefined && row.price_cents !== price) figures.syncLost++
    if (price === undefined && row.price_cents !== before) figures.refusedButWritten++
  }
  return figures
}

/** The deferred write must be acknowledged before the stall (a 100 ms timeout may refuse it). */
async function deferUntilAcknowledged(t: TestApp, id: number, name: string) {
  await expect
    .poll(async () => (await patchLater(t.app, id, { name })).statusCode === 202, {
      ...POLL,
      timeout: 5000,
    })
    .toBe(true)
}

function summary(figures: Figures): string {
  return (
    `${figures.rounds} rounds: synchronous writes acknowledged ${figures.acknowledged}, ` +
    `refused (503) ${figures.refused}; deferred writes lost ${figures.deferredLost}, ` +
    `synchronous lost ${figures.syncLost}, refused yet written ${figures.refusedButWritten}`
  )
}
