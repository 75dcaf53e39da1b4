import type { AddressInfo } from 'node:net'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { AppError, ERRORS, type ErrorCode } from '../../src/errors.js'
import { openDependencies } from '../../src/start/dependencies.js'
import { retryAfterWhileClosing } from '../../src/start/shutdown.js'
import { auth, sqlite, startTestApp, type TestApp, testConfig } from '../support/app.js'
import { call } from '../support/processes.js'
import { deleteByPrefix, type RedisServer, startRedisServer } from '../support/redis.js'

// Every 503 says when to come back (Retry-After) and which dependency failed, in words. The
// write-behind 503s (a stall outlasting the wait, a row the database would not give) are shown
// with their Retry-After in test/faults/write-hold-stall.test.ts and
// test/worker/write-behind-transient.test.ts.

/** A 503 problem with a Retry-After of whole seconds and a detail that names `dependency`. */
function expectUnavailable(response: LightMyRequestResponse, dependency: RegExp) {
  expect(response.statusCode, response.body).toBe(503)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/)
  const problem = response.json()
  expect(problem).toMatchObject({ status: 503, code: 'service_unavailable' })
  expect(problem.detail).toMatch(dependency)
}

describe('every 503 error carries a Retry-After', () => {
  it.each((Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === 503))(
    '%s, unless told otherwise, asks for 1 s',
    (code) => {
      expect(new AppError(code).retryAfterSeconds).toBe(1)
      expect(new AppError(code, 'x', { retryAfterSeconds: 2 }).retryAfterSeconds).toBe(2)
    },
  )
})

describe('the database is down, Redis is up', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
    await t.dependencies.database.close() // nothing is cached yet, and every query fails
  })
  afterAll(() => t.close())

  const inject = t_inject(() => t)

  it('names the database on reads: a product, a page, a batch', async () => {
    for (const url of ['/products/3', '/products?limit=5', '/products?ids=1,2']) {
      expectUnavailable(await inject('GET', url), /^The database did not answer/)
    }
  })

  it('names the database on a synchronous write, and does not promise it did nothing', async () => {
    for (const method of ['PATCH', 'DELETE']) {
      const response = await inject(method, '/products/4', { stock: 1 })
      expectUnavailable(response, /^The database did not answer the write; retry \(with If-Match/)
    }
  })

  it('says which dependency is down on /ready, with a Retry-After', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(503)
    expect(ready.headers['retry-after']).toBe('1')
    expect(ready.json()).toEqual({
      status: 'unavailable',
      checks: { redis: 'up', database: 'down' },
    })
  })
})

describe('Redis is down, the database is up', () => {
  let redis: RedisServer
  let t: TestApp
  beforeAll(async () => {
    redis = await startRedisServer()
    t = await startTestApp({ REDIS_URL: redis.url })
    await redis.kill()
  })
  afterAll(async () => {
    await t?.close().catch(() => undefined) // its Redis is gone: nothing to clean there
    await redis?.dispose()
  })

  const inject = t_inject(() => t)

  it('names Redis on what only Redis can do: invalidations, a version bump, a job', async () => {
    expectUnavailable(await inject('DELETE', '/products/cache/1'), /^Redis did not take/)
    expectUnavailable(await inject('DELETE', '/cache/categories/kitchen'), /^Redis did not take/)
    expectUnavailable(await inject('POST', '/cache/version'), /^Redis did not take/)
    expectUnavailable(await inject('POST', '/products/1/regenerate'), /^Redis did not take the job/)
    expectUnavailable(await inject('GET', '/jobs/1'), /^The job queue \(Redis\) did not answer/)
  })

  it('still reads from the database: no 503 for what does not need Redis', async () => {
    expect((await inject('GET', '/products/2')).statusCode).toBe(200)
  })

  it('says which dependency is down on /ready, with a Retry-After', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(503)
    expect(ready.headers['retry-after']).toBe('1')
    expect(ready.json().checks).toEqual({ redis: 'down', database: 'up' })
  })
})

describe('a server shutting down', () => {
  it('answers what reaches it while it drains with 503 and a Retry-After', async () => {
    const database = await sqlite.create()
    const config = testConfig(database.url)
    const { dependencies } = await openDependencies(config)
    const app = await buildApp(config, dependencies)
    // The drain (app.ts's drainMs) as a gate the test opens, rather than a time to race.
    let endDrain!: () => void
    const drained = new Promise<void>((resolve) => {
      endDrain = resolve
    })
    app.addHook('preClose', () => drained)
    const closing = retryAfterWhileClosing(app.server)
    try {
      await app.listen({ port: 0, host: '127.0.0.1' })
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
      expect((await call(base, 'GET', '/health')).status).toBe(200)

      closing()
      const closed = app.close()
      const during = await fetch(`${base}/products/1`)
      expect(during.status).toBe(503)
      expect(during.headers.get('retry-after')).toBe('1')
      endDrain()
      await closed
    } finally {
      endDrain()
      await app.close()
      await deleteByPrefix(dependencies.redis, config.REDIS_KEY_PREFIX)
      await dependencies.close()
      await database.cleanup()
    }
  })
})

/** `inject(method, url, payload?)` as the admin, on the app `current()` answers. */
function t_inject(current: () => TestApp) {
  return (method: string, url: string, payload?: object) =>
    current().app.inject({
      method: method as 'GET',
      url,
      headers: auth,
      ...(payload ? { payload } : {}),
    })
}
