import { describe, expect, it } from 'vitest'
import type { CacheOptions, RedisClient } from '../src/index.js'
import {
  adminClient,
  connectClient,
  countingLoader,
  isolatedPrefix,
  POLL,
  startBus,
  startCache,
} from './helpers.js'

/** Caches named `product` under one test prefix, each on its own client like separate instances. */
async function setup() {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const versionKey = `${keyPrefix}product:version`
  const instance = async (options: Partial<CacheOptions<string>> = {}) =>
    startCache<string>({ name: 'product', redis: await connectClient(), keyPrefix, ...options })
  return { admin, versionKey, instance }
}

const readVersion = async (admin: RedisClient, key: string) => admin.get(key)

describe('Cache (versioned keys)', () => {
  it('creates the shared version at initialVersion, and later instances adopt it', async () => {
    const { admin, versionKey, instance } = await setup()
    const first = await instance({ initialVersion: 7 })
    expect(first.version).toBe(7)
    expect(await readVersion(admin, versionKey)).toBe('7')

    const second = await instance({ initialVersion: 1 })
    expect(second.version).toBe(7)
  })

  it('bumpVersion turns every entry into a miss without touching the old keys', async () => {
    const { admin, instance } = await setup()
    const cache = await instance()
    const loader = countingLoader(() => 'value')
    await cache.getOrSet('a', loader)
    await cache.getOrSet('b', loader)
    const oldKey = cache.keyFor('a')

    await expect(cache.bumpVersion()).resolves.toBe(2)

    expect(cache.version).toBe(2)
    expect(cache.keyFor('a')).toMatch(/product:v2:a$/)
    await expect(cache.getOrSet('a', loader)).resolves.toMatchObject({ status: 'miss' })
    await expect(cache.getOrSet('b', loader)).resolves.toMatchObject({ status: 'miss' })
    expect(loader).toHaveBeenCalledTimes(4)
    expect(await admin.exists(oldKey)).toBe(1) // left to expire: no KEYS/SCAN
  })

  it('another instance sees a bump within a second', async () => {
    const { instance } = await setup()
    const [writer, reader] = [await instance(), await instance()]
    await reader.getOrSet('a', async () => 'old')
    await expect(reader.getOrSet('a', async () => 'old')).resolves.toMatchObject({ status: 'hit' })

    const bumped = await writer.bumpVersion()

    await expect
      .poll(() => reader.version === bumped, {
        ...POLL,
        timeout: 1000,
        message: 'the other instance adopts the bump',
      })
      .toBe(true)
    await expect(reader.getOrSet('a', async () => 'new')).resolves.toMatchObject({
      value: 'new',
      status: 'miss',
    })
  })

  it('with a bus, another instance adopts a bump at once, without waiting for its refresh', async () => {
    const { admin, instance } = await setup()
    const channel = `${isolatedPrefix(admin)}cache:bus`
    const [writerRedis, readerRedis] = [await connectClient(), await connectClient()]
    const writer = await instance({ redis: writerRedis, bus: await startBus(writerRedis, channel) })
    const reader = await instance({
      redis: readerRedis,
      bus: await startBus(readerRedis, channel),
      versionRefreshMs: 60_000,
    })

    const bumped = await writer.bumpVersion()

    await expect
      .poll(() => reader.version === bumped, {
        ...POLL,
        timeout: 1000,
        message: 'the bus carries the bump',
      })
      .toBe(true)
  })

  it('gives every concurrent bump, from any instance, its own new version', async () => {
    const { instance } = await setup()
    const [a, b] = [await instance(), await instance()]
    const bumps = await Promise.all([a, b, a, b, a, b].map((cache) => cache.bumpVersion()))
    expect(bumps.toSorted((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7])
  })

  it('re-creates a lost version key from the local copy instead of starting over', async () => {
    const { admin, versionKey, instance } = await setup()
    const cache = await instance()
    await cache.bumpVersion()
    await cache.bumpVersion()

    await admin.del(versionKey)

    await expect
      .poll(async () => (await readVersion(admin, versionKey)) === '3', {
        ...POLL,
        message: 'the key is back at 3',
      })
      .toBe(true)
    expect(cache.version).toBe(3)
  })

  it('re-creates a version key someone overwrote with junk', async () => {
    const { admin, versionKey, instance } = await setup()
    const cache = await instance({ initialVersion: 4 })
    await admin.set(versionKey, 'pen')
    await expect
      .poll(async () => (await readVersion(admin, versionKey)) === '4', {
        ...POLL,
        message: 'the key is back at 4',
      })
      .toBe(true)
    expect(cache.version).toBe(4)
  })

  it('bumps past the local copy when the version key was lost', async () => {
    const { admin, versionKey, instance } = await setup()
    const cache = await instance({ initialVersion: 5, versionRefreshMs: 60_000 })
    await admin.del(versionKey)

    await expect(cache.bumpVersion()).resolves.toBe(6)
    expect(await readVersion(admin, versionKey)).toBe('6')
  })

  it('converges on the highest version when a new instance re-created the key lower', async () => {
    const { admin, versionKey, instance } = await setup()
    const old = await instance({ initialVersion: 5 })
    await admin.del(versionKey)

    const fresh = await instance({ initialVersion: 1 })

    await expect
      .poll(() => fresh.version === 5, {
        ...POLL,
        message: 'the new instance catches up with the old one',
      })
      .toBe(true)
    expect(old.version).toBe(5)
    expect(await readVersion(admin, versionKey)).toBe('5')
  })
})
