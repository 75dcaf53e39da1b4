import { afterEach, describe, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'

// Issue 16: /metrics and /stats tell whoever asks the Redis version and memory, the database's
// state and the process's. METRICS_ACCESS=admin puts them behind the admin token.

describe('METRICS_ACCESS', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('public (the default): /metrics and /stats answer anyone', async () => {
    t = await startTestApp()
    for (const url of ['/metrics', '/stats']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(200)
    }
  })

  it('admin: /metrics and /stats answer 401 without the token, 200 with it; /health stays open', async () => {
    t = await startTestApp({ METRICS_ACCESS: 'admin' })
    for (const url of ['/metrics', '/stats']) {
      const anonymous = await t.app.inject({ method: 'GET', url })
      expect(anonymous.statusCode, url).toBe(401)
      expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(anonymous.body).not.toMatch(/redis_version|used_memory|process_cpu/)
      expect((await t.app.inject({ method: 'GET', url, headers: auth })).statusCode, url).toBe(200)
    }
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
  })
})
