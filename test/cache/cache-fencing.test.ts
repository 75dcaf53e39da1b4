import type { CacheOptions } from '@caching-strategies/cache'
import { describe, expect, it, vi } from 'vitest'
import { MemoryTier } from '../../packages/cache/src/memory/memory-tier.js'
import {
  adminClient,
  connectClient,
  deferred,
  isolatedPrefix,
  POLL,
  spyObserver,
  startBus,
  startCache,
} from '../../packages/cache/test/helpers.js'
import type { ReadThroughCache } from '../../src/strategies/read-through-cache.js'
import { startNaive } from './naive.js'

// No stale sets: a load that read the database before an invalidation, and finishes after it,
// must not store what it read. Built deterministically: the loader reads a "database" variable,
// then waits for the test, which invalidates and changes the row first.

async function setup() {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const channel = `${keyPrefix}cache:bus`
  const instance = async (options: Partial<CacheOptions<string>> = {}) => {
    const observer = spyObserver()
    const redis = await connectClient()
    const l1 = new MemoryTier()
    const cache = await startCache<string>({
      name: 'product',
      redis,
      keyPrefix,
      observer,
      l1,
      bus: await startBus(redis, channel),
      ...options,
    })
    return { cache, observer, l1 }
  }
  const naive = async () =>
    startNaive<string>({ name: 'product', redis: await connectClient(), keyPrefix })
  return { admin, instance, naive }
}

/** A row, and a loader that reads it and then waits at `gate` before answering. */
function slowDatabase() {
  const db = { row: 'old' }
  const gate = deferred()
  const loader = vi.fn(async () => {
    const read = db.row
    await gate.promise
    return read
  })
  return { db, gate, loader }
}

/** Starts a read, and answers once its load has read the row (it then waits at the gate). */
async function readHeldAtTheDatabase(
  cache: ReadThroughCache<string>,
  database: ReturnType<typeof slowDatabase>,
) {
  const calls = database.loader.mock.calls.length
  const read = cache.getOrSet('42', database.loader)
  read.catch(() => {}) // awaited by the test later; not an unhandled rejection meanwhile
  await expect
    .poll(() => database.loader.mock.calls.length > calls, {
      ...POLL,
      message: 'the load has read the row',
    })
    .toBe(true)
  return { read }
}

describe('fenced fills (no stale sets)', () => {
  it('a load overtaken by delete() is stored neither in Redis nor in L1', async () => {
    const { admin, instance } = await setup()
    const { cache, observer, l1 } = await instance()
    const database = slowDatabase()
    const key = cache.keyFor('42')

    const { read: slowRead } = await readHeldAtTheDatabase(cache, database)
    await cache.delete('42')
    database.db.row = 'new'
    database.gate.resolve()

    // The caller gets what its load read; nobody else will.
    await expect(slowRead).resolves.toMatchObject({ value: 'old', status: 'miss' })
    expect(observer.fenced).toHaveBeenCalledExactlyOnceWith('product')
    expect(await admin.exists(key)).toBe(0)
    expect(l1.get(key)).toBeUndefined()

    await expect(cache.getOrSet('42', database.loader)).resolves.toMatchObject({
      value: 'new',
      status: 'miss',
    })
    expect(database.loader).toHaveBeenCalledTimes(2)
    expect(JSON.parse((await admin.get(key)) ?? 'null')).toMatchObject({ value: 'new' })
  })

  it('also when the delete comes from another instance', async () => {
    const { admin, instance } = await setup()
    const [reader, writer] = [await instance(), await instance()]
    const database = slowDatabase()
    const key = reader.cache.keyFor('42')

    const { read: slowRead } = await readHeldAtTheDatabase(reader.cache, database)
    await writer.cache.delete('42')
    database.db.row = 'new'
    database.gate.resolve()

    await expect(slowRead).resolves.toMatchObject({ value: 'old' })
    expect(reader.observer.fenced).toHaveBeenCalledOnce()
    expect(await admin.exists(key)).toBe(0)
    expect(reader.l1.get(key)).toBeUndefined()
    await expect(writer.cache.getOrSet('42', database.loader)).resolves.toMatchObject({
      value: 'new',
    })
    await expect(reader.cache.getOrSet('42', database.loader)).resolves.toMatchObject({
      value: 'new',
      status: 'hit',
    })
  })

  it('control: the naive strategy stores the stale value for a whole TTL', async () => {
    const { admin, naive } = await setup()
    const cache = await naive()
    const database = slowDatabase()

    const { read: slowRead } = await readHeldAtTheDatabase(cache, database)
    await cache.delete('42')
    database.db.row = 'new'
    database.gate.resolve()
    await slowRead

    // The row says 'new', the cache says 'old' until the entry expires.
    expect(JSON.parse((await admin.get(cache.keyFor('42'))) ?? 'null')).toMatchObject({
      value: 'old',
    })
    await expect(cache.getOrSet('42', database.loader)).resolves.toMatchObject({
      value: 'old',
      status: 'hit',
    })
  })

  it('a waiter that gave up on the lease and loaded itself is fenced too', async () => {
    const { admin, instance } = await setup()
    const holder = await instance({ loaderTimeoutMs: 10_000 })
    const waiter = await instance({ leaseWaitMs: 200 })
    const key = holder.cache.keyFor('42')

    // The lease holder reads the row, then hangs.
    const hung = slowDatabase()
    const { read: held } = await readHeldAtTheDatabase(holder.cache, hung)
    // The waiter gives up after 200 ms, reads the row itself, and is held too.
    const database = slowDatabase()
    const { read: given } = await readHeldAtTheDatabase(waiter.cache, database)

    await waiter.cache.delete('42')
    database.db.row = 'new'
    hung.db.row = 'new'
    database.gate.resolve()

    await expect(given).resolves.toMatchObject({ value: 'old' })
    expect(waiter.observer.fenced).toHaveBeenCalledOnce()
    expect(await admin.exists(key)).toBe(0)
    await expect(waiter.cache.getOrSet('42', database.loader)).resolves.toMatchObject({
      value: 'new',
      status: 'miss',
    })

    // The holder's load, when it finally answers, is fenced as well.
    hung.gate.resolve()
    await expect(held).resolves.toMatchObject({ value: 'old' })
    expect(holder.observer.fenced).toHaveBeenCalledOnce()
    expect(JSON.parse((await admin.get(key)) ?? 'null')).toMatchObject({ value: 'new' })
  })
})

describe('read-your-writes after an invalidation', () => {
  it('a read that starts after delete() does not join a load that began before it', async () => {
    const { instance } = await setup()
    const { cache } = await instance()
    const database = slowDatabase()

    const { read: slowRead } = await readHeldAtTheDatabase(cache, database)
    database.db.row = 'new' // the write commits…
    await cache.delete('42') // …then invalidates, as the catalog does

    // A fresh loader that answers at once: single-flight must not hand out the old load.
    const fresh = vi.fn(async () => database.db.row)
    const after = await cache.getOrSet('42', fresh)
    expect(after.value).toBe('new')
    expect(fresh).toHaveBeenCalledTimes(1)

    database.gate.resolve()
    expect((await slowRead).value).toBe('old') // its own caller still gets what it read
    expect((await cache.getOrSet('42', fresh)).value).toBe('new')
  })

  it('the same after a tag invalidation', async () => {
    const { instance } = await setup()
    const { cache } = await instance({ tags: () => ['x'] })
    const database = slowDatabase()

    const { read: slowRead } = await readHeldAtTheDatabase(cache, database)
    database.db.row = 'new'
    await cache.deleteByTag(['x'])

    // The old load still holds the key's lease (a tag invalidation does not touch per-key
    // leases), so this read waits for it; what it stores is outdated, and the reader loads anew.
    const fresh = vi.fn(async () => database.db.row)
    const after = cache.getOrSet('42', fresh)
    database.gate.resolve()
    expect((await after).value).toBe('new')
    expect((await slowRead).value).toBe('old')
  })
})
