import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'

/** GET /jobs/:id of a job that has finished (completed or failed); throws while it has not. */
async function finishedJob(t: TestApp, status: string) {
  const job = (await t.app.inject({ method: 'GET', url: status, headers: auth })).json()
  expect(['completed', 'failed'], `job still ${job.state}`).toContain(job.state)
  return job
}

/** Up to 10 s for a job to finish, looking every 25 ms. */
const POLL = { timeout: 10_000, interval: 25 }

describe('the regenerate-product-cache job', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'all' }) // the worker runs in this process
  })
  afterAll(() => t.close())

  const regenerate = (id: string) =>
    t.app.inject({ method: 'POST', url: `/products/${id}/regenerate`, headers: auth })

  it('answers 202 with the job, which reloads the product into the cache', async () => {
    const accepted = await regenerate('3')
    expect(accepted.statusCode).toBe(202)
    const { jobId, status } = accepted.json()
    expect(status).toBe(`/jobs/${jobId}`)
    expect(accepted.headers.location).toBe(status)

    const job = await vi.waitFor(() => finishedJob(t, status), POLL)
    expect(job).toMatchObject({
      id: jobId,
      name: 'regenerate-product-cache',
      state: 'completed',
      attempts: 1,
      result: { productId: 3, version: 1 },
      failed_reason: null,
    })
    expect(Date.parse(job.finished_at)).toBeGreaterThanOrEqual(Date.parse(job.created_at))

    const read = await t.app.inject({ method: 'GET', url: '/products/3' })
    expect(read.headers['x-cache']).toBe('HIT')
    const key = `${t.config.REDIS_KEY_PREFIX}product:v1:3`
    expect(await t.dependencies.redis.exists(key)).toBe(1)
  })

  it('refreshes an entry the database has moved past', async () => {
    await t.app.inject({ method: 'GET', url: '/products/4' }) // cached at version 1
    await t.dependencies.database.db
      .updateTable('products')
      .set({ name: 'Changed behind the cache', version: 2 })
      .where('id', '=', 4)
      .execute()
    expect((await t.app.inject({ method: 'GET', url: '/products/4' })).json().data.version).toBe(1)

    const { status } = (await regenerate('4')).json()
    await vi.waitFor(() => finishedJob(t, status), POLL)
    const read = (await t.app.inject({ method: 'GET', url: '/products/4' })).json()
    expect(read.data).toMatchObject({ name: 'Changed behind the cache', version: 2 })
  })

  it('fails an unknown product at once, without retries, with the reason', async () => {
    const { status } = (await regenerate('999999')).json()
    const job = await vi.waitFor(() => finishedJob(t, status), POLL)
    expect(job).toMatchObject({ state: 'failed', attempts: 1, max_attempts: 5 })
    expect(job.failed_reason).toMatch(/Product 999999 does not exist/)
  })

  it('refuses a bad id with 400 before anything is queued', async () => {
    const before = await t.app.queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed')
    for (const id of ['abc', '0', '1.5', '2147483648']) {
      const response = await regenerate(id)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ code: 'validation_failed' })
    }
    const after = await t.app.queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed')
    expect(after).toBe(before)
  })

  it('needs the admin token', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/products/1/regenerate' })
    expect(response.statusCode).toBe(401)
  })

  it('GET /jobs/:id answers 404 for an unknown job and 400 for a malformed id', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/jobs/12345678' })
    expect(anonymous.statusCode).toBe(401) // a job says what was written, and why it failed
    const unknown = await t.app.inject({ method: 'GET', url: '/jobs/12345678', headers: auth })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ code: 'not_found' })
    const malformed = await t.app.inject({ method: 'GET', url: '/jobs/a:b', headers: auth })
    expect(malformed.statusCode).toBe(400)
  })

  it('counts jobs and their durations in the metrics', async () => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(text).toMatch(
      /^jobs_total\{queue="catalog",name="regenerate-product-cache",status="completed"\} [1-9]/m,
    )
    expect(text).toMatch(
      /^jobs_total\{queue="catalog",name="regenerate-product-cache",status="failed"\} 1$/m,
    )
    expect(text).toMatch(
      /^job_duration_seconds_count\{queue="catalog",name="regenerate-product-cache"\} [1-9]/m,
    )
    expect(text).toMatch(/^queue_jobs\{queue="catalog",state="waiting"\} \d+$/m)
    expect(text).toMatch(/^queue_jobs\{queue="catalog",state="failed"\} 1$/m)
  })
})
