import { describe, expect, it, vi } from 'vitest'
import { LoaderTimeoutError } from '../src/index.js'
import type { CacheOptions } from '../src/types.js'
import {
  adminClient,
  connectClient,
  deferred,
  isolatedPrefix,
  POLL,
  spyObserver,
  startCache,
} from './helpers.js'

// Fail-safe: when the source fails or is slow, a stale value is better than an error.

async function setup(options: Partial<CacheOptions<string>> = {}) {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const observer = spyObserver()
  const cache = await startCache<string>({
    name: 'product',
    redis: await connectClient(),
    keyPrefix,
    observer,
    ttlSeconds: 0.3,
    graceSeconds: 30,
    ttlJitter: 0,
    earlyRefreshBeta: 0,
    ...options,
  })
  return { admin, cache, observer }
}

/** Fills '42' with 'v1', then waits until it is stale. */
async function staleEntry(cache: Awaited<ReturnType<typeof setup>>['cache']) {
  const first = await cache.getOrSet('42', async () => 'v1')
  await expect
    .poll(() => Date.now(), {
      ...POLL,
      timeout: first.freshUntil - Date.now() + 5000,
      message: 'the entry goes stale',
    })
    .toBeGreaterThan(first.freshUntil)
  return first
}

/** Reads '42' for `ms`, every 10 ms; answers every lookup. */
async function readFor(
  cache: Awaited<ReturnType<typeof setup>>['cache'],
  loader: () => Promise<string>,
  ms: number,
) {
  const answers = []
  const until = Date.now() + ms
  while (Date.now() < until) {
    answers.push(await cache.getOrSet('42', loader))
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return answers
}

describe('fail-safe', () => {
  it('serves the stale value while the loader fails, and asks again only after the backoff', async () => {
    // The lease a refresh holds lives 4 s (leaseMs by default): shorter than that, the backoff
    // is only honoured if the failed refresh frees its lease.
    const { cache } = await setup({ failSafeBackoffMs: 1000 })
    await staleEntry(cache)
    const failing = vi.fn(async (): Promise<string> => {
      throw new Error('database down')
    })

    const first = await cache.getOrSet('42', failing)
    expect(first).toMatchObject({ value: 'v1', status: 'stale' })
    await expect
      .poll(() => failing.mock.calls.length === 1, {
        ...POLL,
        message: 'the refresh tries the database',
      })
      .toBe(true)
    const failedAt = Date.now()

    const during = await readFor(cache, failing, 500)
    for (const answer of during) expect(answer).toMatchObject({ value: 'v1', status: 'stale' })
    expect(failing).toHaveBeenCalledTimes(1) // no retry during the backoff
    expect(during.length).toBeGreaterThan(5)

    // After the backoff, a stale read tries the database again.
    await expect
      .poll(
        async () => {
          await cache.getOrSet('42', failing)
          return failing.mock.calls.length === 2
        },
        { ...POLL, timeout: 6000, message: 'a refresh is tried again' },
      )
      .toBe(true)
    const retriedAfterMs = Date.now() - failedAt
    expect(retriedAfterMs).toBeGreaterThanOrEqual(900)
    expect(retriedAfterMs).toBeLessThan(3000) // not when the failed refresh's lease lapses (4 s)
  })

  it('serves the stale value at once while a refresh outlasts the loader timeout, then the new one', async () => {
    const { cache, observer } = await setup({ loaderTimeoutMs: 100, leaseWaitMs: 50 })
    await staleEntry(cache)
    const database = deferred()
    const slow = vi.fn(async () => {
      await database.promise
      return 'v2'
    })

    await expect(cache.getOrSet('42', slow)).resolves.toMatchObject({
      value: 'v1',
      status: 'stale',
    })
    await expect
      .poll(() => slow.mock.calls.length === 1, {
        ...POLL,
        message: 'the refresh reaches the database',
      })
      .toBe(true)
    // Well past the loader timeout, reads still answer the stale value, and no second load starts.
    const during = await readFor(cache, slow, 300)
    for (const answer of during) expect(answer).toMatchObject({ value: 'v1', status: 'stale' })
    expect(slow).toHaveBeenCalledTimes(1)

    database.resolve()
    await expect
      .poll(async () => (await cache.getOrSet('42', slow)).value === 'v2', {
        ...POLL,
        message: 'the slow refresh lands',
      })
      .toBe(true)
    expect(observer.error).not.toHaveBeenCalled()
  })

  it('with nothing stale, the loader error reaches the caller', async () => {
    const { admin, cache } = await setup()
    const failure = new Error('database down')
    await expect(cache.getOrSet('42', async () => Promise.reject(failure))).rejects.toBe(failure)
    expect(await admin.exists(cache.keyFor('42'))).toBe(0)
  })

  it('with nothing stale, a slow loader fails the read with LoaderTimeoutError…', async () => {
    const { cache } = await setup({ loaderTimeoutMs: 100, leaseWaitMs: 50 })
    const database = deferred()
    const slow = vi.fn(async () => {
      await database.promise
      return 'v1'
    })

    const started = performance.now()
    const read = cache.getOrSet('42', slow)
    await expect(read).rejects.toBeInstanceOf(LoaderTimeoutError)
    await expect(read).rejects.toThrow(/product loader did not answer within 100 ms/)
    expect(performance.now() - started).toBeLessThan(2000) // not held by the load
    database.resolve()
  })

  it('…and the load still fills the cache when it finally completes', async () => {
    const { admin, cache } = await setup({ loaderTimeoutMs: 100, leaseWaitMs: 50, ttlSeconds: 30 })
    const database = deferred()
    const slow = vi.fn(async () => {
      await database.promise
      return 'v1'
    })

    await expect(cache.getOrSet('42', slow)).rejects.toBeInstanceOf(LoaderTimeoutError)
    // A read that comes meanwhile joins the load under way rather than starting another.
    const joined = cache.getOrSet('42', slow)
    database.resolve()
    await expect(joined).resolves.toMatchObject({ value: 'v1' })

    await expect
      .poll(async () => (await admin.exists(cache.keyFor('42'))) === 1, {
        ...POLL,
        message: 'the fill lands',
      })
      .toBe(true)
    await expect(cache.getOrSet('42', slow)).resolves.toMatchObject({ value: 'v1', status: 'hit' })
    expect(slow).toHaveBeenCalledTimes(1)
  })
})
