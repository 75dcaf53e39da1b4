import type { CacheOptions } from '@caching-strategies/cache'
import { describe, expect, it, vi } from 'vitest'
import { leaseKey } from '../../packages/cache/src/redis/redis-coordinator.js'
import {
  adminClient,
  connectClient,
  deferred,
  isolatedPrefix,
  spyObserver,
  startCache,
} from '../../packages/cache/test/helpers.js'
import type { ReadThroughCache } from '../../src/strategies/read-through-cache.js'
import { startNaive } from './naive.js'

// One loader per key in the whole cluster: single-flight inside a process, a lease in Redis
// across processes. Each "instance" is a cache on a Redis client of its own, as separate app
// instances would be.

const INSTANCES = 3
const CALLERS_PER_INSTANCE = 300
const LOAD_MS = 100

type Strategy = 'full' | 'naive'

async function setup() {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const instance = async (
    strategy: Strategy = 'full',
    options: Partial<CacheOptions<string>> = {},
  ): Promise<{ cache: ReadThroughCache<string>; observer: ReturnType<typeof spyObserver> }> => {
    const observer = spyObserver()
    const all: CacheOptions<string> = {
      name: 'product',
      redis: await connectClient(),
      keyPrefix,
      observer,
      ...options,
    }
    const cache = strategy === 'full' ? await startCache(all) : await startNaive(all)
    return { cache, observer }
  }
  return { admin, keyPrefix, instance }
}

/** A 100 ms database read, counting its calls. */
const slowLoader = () =>
  vi.fn(async () => {
    await new Promise((resolve) => setTimeout(resolve, LOAD_MS))
    return 'pen'
  })

/** Every instance's callers ask for one cold key at once. */
async function stampede(strategy: Strategy) {
  const { instance } = await setup()
  const instances: Awaited<ReturnType<typeof instance>>[] = []
  for (let i = 0; i < INSTANCES; i++) instances.push(await instance(strategy))
  const loader = slowLoader()
  const answers = await Promise.all(
    instances.flatMap(({ cache }) =>
      Array.from({ length: CALLERS_PER_INSTANCE }, () => cache.getOrSet('42', loader)),
    ),
  )
  const sum = (hook: 'coalesced' | 'load') =>
    instances.reduce((total, { observer }) => total + observer[hook].mock.calls.length, 0)
  return { answers, loader, coalesced: sum('coalesced'), loads: sum('load') }
}

describe('single-flight and lease: one loader per key, cluster-wide', () => {
  it(`${INSTANCES} instances x ${CALLERS_PER_INSTANCE} concurrent reads of a cold key: 1 load`, async ({
    annotate,
  }) => {
    const { answers, loader, coalesced, loads } = await stampede('full')

    expect(answers).toHaveLength(INSTANCES * CALLERS_PER_INSTANCE)
    for (const answer of answers) expect(answer.value).toBe('pen')
    expect(loader).toHaveBeenCalledTimes(1)
    expect(loads).toBe(1)
    // Everyone but the one loader waited for its load (in its process or through the lease), or,
    // scheduled late on a busy machine (seen on the Cluster project), found it filled already.
    const hits = answers.filter((answer) => answer.status === 'hit').length
    expect(answers.every((answer) => answer.status === 'miss' || answer.status === 'hit')).toBe(
      true,
    )
    expect(coalesced + hits).toBe(INSTANCES * CALLERS_PER_INSTANCE - 1)
    await annotate(`full: ${loader.mock.calls.length} load(s) for ${answers.length} reads`)
  })

  it('control: the naive strategy loads once per caller (no protection)', async ({ annotate }) => {
    const { answers, loader } = await stampede('naive')

    for (const answer of answers) expect(answer).toMatchObject({ value: 'pen' })
    // Most callers read before the first fill landed: hundreds of loads where `full` makes one
    // (on a Cluster, with more round trips per read, fewer than on one Redis: 419 of 900 seen).
    expect(loader.mock.calls.length).toBeGreaterThan(INSTANCES * CALLERS_PER_INSTANCE * 0.2)
    await annotate(`naive: ${loader.mock.calls.length} loads for ${answers.length} reads`)
  })

  it('a lease holder that hangs blocks the others for leaseWaitMs, no longer', async () => {
    const { admin, instance } = await setup()
    const holder = await instance('full', { loaderTimeoutMs: 5000 })
    const waiter = await instance('full', { leaseWaitMs: 300 })
    const hung = deferred<string>()
    const holderLoader = vi.fn(() => hung.promise)
    const held = holder.cache.getOrSet('42', holderLoader)
    await vi.waitFor(() => expect(holderLoader).toHaveBeenCalled(), { timeout: 5000, interval: 5 })
    const lease = leaseKey(holder.cache.keyFor('42'))
    expect(await admin.exists(lease)).toBe(1)

    const waiterLoader = vi.fn(async () => 'pen')
    const started = performance.now()
    await expect(waiter.cache.getOrSet('42', waiterLoader)).resolves.toMatchObject({
      value: 'pen',
      status: 'miss',
    })
    const waitedMs = performance.now() - started

    expect(waiterLoader).toHaveBeenCalledTimes(1)
    expect(waitedMs).toBeGreaterThanOrEqual(250) // it did wait for the holder first…
    expect(await admin.pttl(lease)).toBeGreaterThan(0) // …but gave up while the lease still held
    hung.resolve('late')
    await held
  })

  it('a lease whose holder died frees itself, and a waiter then loads', async () => {
    const { admin, instance } = await setup()
    const { cache } = await instance('full', { leaseWaitMs: 10_000, loaderTimeoutMs: 15_000 })
    // What a crashed instance leaves behind: a lease nobody will release.
    await admin.set(leaseKey(cache.keyFor('42')), 'crashed-instance', 'PX', 300)
    const loader = vi.fn(async () => 'pen')

    const started = performance.now()
    await expect(cache.getOrSet('42', loader)).resolves.toMatchObject({ value: 'pen' })
    const waitedMs = performance.now() - started

    expect(loader).toHaveBeenCalledTimes(1)
    expect(waitedMs).toBeGreaterThanOrEqual(250) // the lease was respected while it lived
    expect(waitedMs).toBeLessThan(5000) // and nobody waited out leaseWaitMs (10 s)
  })

  it('a lease holder whose load fails frees the lease: a waiter loads at once', async () => {
    const { admin, instance } = await setup()
    const holder = await instance()
    const waiter = await instance('full', { leaseWaitMs: 10_000, loaderTimeoutMs: 15_000 })
    const failure = new Error('database down')
    const database = deferred()
    const failing = vi.fn(async (): Promise<string> => {
      await database.promise
      throw failure
    })
    const held = holder.cache.getOrSet('42', failing)
    held.catch(() => {})
    await vi.waitFor(() => expect(failing).toHaveBeenCalled(), { timeout: 5000, interval: 5 })
    expect(await admin.exists(leaseKey(holder.cache.keyFor('42')))).toBe(1)

    const waiterLoader = vi.fn(async () => 'pen')
    const waiting = waiter.cache.getOrSet('42', waiterLoader)
    const failedAt = performance.now()
    database.resolve()
    await expect(held).rejects.toBe(failure)

    await expect(waiting).resolves.toMatchObject({ value: 'pen' })
    // Not after the lease lapsed (4 s) or leaseWaitMs (10 s): the next poll found it free.
    expect(performance.now() - failedAt).toBeLessThan(2000)
    expect(waiterLoader).toHaveBeenCalledTimes(1)
  })

  it('instances that find an unreadable entry together replace it with one load', async () => {
    const { admin, instance } = await setup()
    const instances = [await instance(), await instance(), await instance()]
    const key = instances[0]?.cache.keyFor('42') ?? ''
    await admin.set(key, 'typed in redis-cli')
    const loader = slowLoader()

    const answers = await Promise.all(
      instances.flatMap(({ cache }) =>
        Array.from({ length: 20 }, () => cache.getOrSet('42', loader)),
      ),
    )

    for (const answer of answers) expect(answer).toMatchObject({ value: 'pen' })
    expect(loader).toHaveBeenCalledTimes(1)
    expect(JSON.parse((await admin.get(key)) ?? 'null')).toMatchObject({ value: 'pen' })
  })
})
