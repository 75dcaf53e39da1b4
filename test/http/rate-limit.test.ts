import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { type RedisServer, startRedisServer } from '../support/redis.js'
import { POLL } from '../worker/write-behind-support.js'

// Addresses from the documentation ranges (RFC 5737): `inject` reports them as the client's.
const ATTACKER = '203.0.113.7'
const BYSTANDER = '198.51.100.9'
const WRONG = { authorization: 'Bearer not-the-admin-token-but-32-characters-long' }
const BOARD = '/admin/queues'

function expectTooMany(response: LightMyRequestResponse) {
  expect(response.statusCode).toBe(429)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.json()).toMatchObject({ status: 429, code: 'too_many_requests' })
  const retryAfter = Number(response.headers['retry-after'])
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(60)
}

describe('failed admin authentication, limited per client (AUTH_FAILURES_PER_MINUTE=30)', () => {
  let t: TestApp
  const logs: Array<{ level: number; msg: string; client?: string }> = []
  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'warn' }, undefined, {
      logStream: { write: (line) => logs.push(JSON.parse(line)) },
    })
  })
  afterAll(() => t.close())

  const bump = (headers: Record<string, string>, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/cache/version', headers, remoteAddress })
  const refusalLogs = () => logs.filter((entry) => /failed admin authentications/.test(entry.msg))

  it('answers 401 to 30 wrong tokens, then 429 with Retry-After, logged at warn once a window', async () => {
    for (let i = 0; i < 30; i++) expect((await bump(WRONG, ATTACKER)).statusCode).toBe(401)
    expect(refusalLogs()).toEqual([])

    // A burst in parallel: one of them counts 31, the others more; one log line in all.
    const burst = await Promise.all(Array.from({ length: 20 }, () => bump(WRONG, ATTACKER)))
    for (const response of burst) expectTooMany(response)
    expect(refusalLogs()).toEqual([expect.objectContaining({ level: 40, client: ATTACKER })])
    // Counted under the service's key prefix, like every key it writes.
    const key = `${t.config.REDIS_KEY_PREFIX}rate-limit:auth-failures:${ATTACKER}`
    expect(Number(await t.dependencies.redis.get(key))).toBeGreaterThanOrEqual(31)
    expect(await t.dependencies.redis.pttl(key)).toBeGreaterThan(0)
  })

  it('refuses the limited client the right token too, so 429 tells nothing of a guess', async () => {
    expectTooMany(await bump(auth, ATTACKER))
    // The board, behind the same token, refuses it before reading its credentials.
    expectTooMany(
      await t.app.inject({ method: 'GET', url: BOARD, headers: auth, remoteAddress: ATTACKER }),
    )
  })

  it('answers a parallel burst of guesses at most 30 times with 401 (counted as decided)', async () => {
    const burst = await Promise.all(Array.from({ length: 60 }, () => bump(WRONG, '192.0.2.46')))
    const statuses = burst.map((response) => response.statusCode)
    expect(statuses.filter((status) => status === 401)).toHaveLength(30)
    expect(statuses.filter((status) => status === 429)).toHaveLength(30)
  })

  it('leaves other clients alone', async () => {
    expect((await bump(WRONG, BYSTANDER)).statusCode).toBe(401)
    expect((await bump(auth, BYSTANDER)).statusCode).toBe(200)
  })

  it('shares the count between instances (Redis keeps it)', async () => {
    const other = await buildApp(t.config, t.dependencies)
    try {
      const response = await other.inject({
        method: 'POST',
        url: '/cache/version',
        headers: auth,
        remoteAddress: ATTACKER,
      })
      expectTooMany(response)
    } finally {
      await other.close()
    }
  })

  it('does not count a request that presents no credential (it guesses nothing)', async () => {
    const anonymous = '192.0.2.44'
    for (let i = 0; i < 40; i++) expect((await bump({}, anonymous)).statusCode).toBe(401)
    expect((await bump(auth, anonymous)).statusCode).toBe(200)
  })

  it('counts the queue board’s refusals too', async () => {
    const guesser = '192.0.2.45'
    const board = (headers: Record<string, string>) =>
      t.app.inject({ method: 'GET', url: BOARD, headers, remoteAddress: guesser })
    for (let i = 0; i < 30; i++) expect((await board(WRONG)).statusCode).toBe(401)
    // The board's refusals are counted once sent: the next requests see them shortly after.
    await expect.poll(async () => (await board(WRONG)).statusCode === 429, POLL).toBe(true)
    expectTooMany(await board(auth))
    expectTooMany(await bump(auth, guesser))
  })
})

describe('with the limit off (AUTH_FAILURES_PER_MINUTE=0), to show what it prevents', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: '0' })
  })
  afterAll(() => t.close())

  it('answers every one of 200 wrong tokens 401: guessing goes on at full speed', async () => {
    const bump = () =>
      t.app.inject({
        method: 'POST',
        url: '/cache/version',
        headers: WRONG,
        remoteAddress: ATTACKER,
      })
    const statuses = new Set<number>()
    for (let i = 0; i < 200; i++) statuses.add((await bump()).statusCode)
    expect([...statuses]).toEqual([401])
  })
})

describe('the per-client limit on every request (RATE_LIMIT_PER_MINUTE)', () => {
  const client = '203.0.113.20'
  const read = (t: TestApp, url = '/products/1', remoteAddress = client) =>
    t.app.inject({ method: 'GET', url, remoteAddress } satisfies InjectOptions)

  it('is off by default: 200 quick reads from one client all answer 200', async () => {
    const t = await startTestApp()
    try {
      const statuses = await Promise.all(
        Array.from({ length: 200 }, async () => (await read(t)).statusCode),
      )
      expect(statuses.filter((status) => status !== 200)).toEqual([])
      expect((await read(t)).headers['x-ratelimit-limit']).toBeUndefined()
    } finally {
      await t.close()
    }
  })

  it('answers 429 past it when set, per client, and never to /health, /ready or /metrics', async () => {
    const t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '5' })
    try {
      for (let i = 0; i < 5; i++) expect((await read(t)).statusCode).toBe(200)
      const refused = await read(t)
      expectTooMany(refused)
      expect(refused.json().detail).toBe('More than 5 requests a minute from this client')
      expectTooMany(await read(t, '/products'))
      for (const url of ['/health', '/ready', '/metrics']) {
        for (let i = 0; i < 6; i++) expect((await read(t, url)).statusCode).toBe(200)
      }
      expect((await read(t, '/products/1', '203.0.113.21')).statusCode).toBe(200)
    } finally {
      await t.close()
    }
  })
})

describe('with Redis down, the limits let requests through', () => {
  let redis: RedisServer
  let t: TestApp
  beforeAll(async () => {
    redis = await startRedisServer()
    t = await startTestApp({
      REDIS_URL: redis.url,
      AUTH_FAILURES_PER_MINUTE: '3',
      RATE_LIMIT_PER_MINUTE: '3',
    })
    await redis.stop()
  })
  afterAll(async () => {
    await t?.close().catch(() => undefined) // its Redis is gone: nothing to clean there
    await redis?.dispose()
  })

  it('keeps answering 401 to wrong tokens and 200 to the right one: no 500, no 429', async () => {
    const write = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'PATCH',
        url: '/products/2',
        headers,
        payload: { stock: 7 },
        remoteAddress: ATTACKER,
      })
    for (let i = 0; i < 10; i++) expect((await write(WRONG)).statusCode).toBe(401)
    expect((await write(auth)).statusCode).toBe(200)
  })
})
