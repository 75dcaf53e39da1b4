import type { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { startRedisServer } from '../../../test/support/redis.js'
import { MemoryTier } from '../src/memory/memory-tier.js'
import type { CacheOptions } from '../src/types.js'
import {
  adminClient,
  connectClient,
  deferred,
  isolatedPrefix,
  POLL,
  spyObserver,
  startBus,
  startCache,
} from './helpers.js'

// Tag invalidation: one HINCRBY per tag, however many entries carry it. Entries record their
// tags' versions; once a tag moves on they are outdated, on every instance.

interface Product {
  id: string
  tags: string[]
  edition: number
}

async function setup() {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const channel = `${keyPrefix}cache:bus`
  const instance = async (options: Partial<CacheOptions<Product>> & { withBus?: boolean } = {}) => {
    const { withBus = false, ...cacheOptions } = options
    const redis = await connectClient()
    const observer = spyObserver()
    const cache = await startCache<Product>({
      name: 'product',
      redis,
      keyPrefix,
      observer,
      tags: (product) => product.tags,
      versionRefreshMs: 100,
      ...(withBus ? { bus: await startBus(redis, channel) } : {}),
      ...cacheOptions,
    })
    return { cache, redis, observer }
  }
  return { admin, keyPrefix, instance }
}

/** The catalogue: what each id is tagged with. */
const TAGS: Record<string, string[]> = { a: ['x'], b: ['x', 'y'], c: ['y'], d: [] }
const edition = 1
const loader = (id: string) => async (): Promise<Product> => ({ id, tags: TAGS[id] ?? [], edition })

describe('tag invalidation', () => {
  it('turns every entry tagged x into a miss, here and (by the tag refresh) on another instance', async () => {
    const { instance } = await setup()
    const [here, there] = [await instance(), await instance()]
    // `here` checks its own ids; `there` checks copies, so a refill on one side hides nothing.
    for (const id of Object.keys(TAGS)) {
      await here.cache.getOrSet(id, loader(id))
      await here.cache.getOrSet(`${id}2`, loader(id))
      await expect(there.cache.getOrSet(`${id}2`, loader(id))).resolves.toMatchObject({
        status: 'hit',
      })
    }

    await here.cache.deleteByTag(['x'])

    const statusHere = async (id: string) => (await here.cache.getOrSet(id, loader(id))).status
    expect(await statusHere('a')).toBe('miss')
    expect(await statusHere('b')).toBe('miss')
    expect(await statusHere('c')).toBe('hit')
    expect(await statusHere('d')).toBe('hit')

    const statusThere = async (id: string) =>
      (await there.cache.getOrSet(`${id}2`, loader(id))).status
    await expect
      .poll(async () => (await statusThere('a')) === 'miss', {
        ...POLL,
        message: 'the other instance learns',
      })
      .toBe(true)
    expect(await statusThere('b')).toBe('miss')
    expect(await statusThere('c')).toBe('hit')
    expect(await statusThere('d')).toBe('hit')
  })

  it('reaches another instance at once over the bus, L1 included', async () => {
    const { instance } = await setup()
    const options = { withBus: true, versionRefreshMs: 60_000 } // no help from the refresh
    const [here, there] = [
      await instance({ ...options, l1: new MemoryTier() }),
      await instance({ ...options, l1: new MemoryTier() }),
    ]
    await here.cache.getOrSet('a', loader('a'))
    await there.cache.getOrSet('a', loader('a'))
    await expect(there.cache.getOrSet('a', loader('a'))).resolves.toMatchObject({
      status: 'hit',
      tier: 'l1',
    })

    await here.cache.deleteByTag(['x'])

    await expect
      .poll(async () => (await there.cache.getOrSet('a', loader('a'))).status === 'miss', {
        ...POLL,
        timeout: 1000,
        message: 'the bus carries the tag',
      })
      .toBe(true)
  })

  it('outdates a load that began before the invalidation', async () => {
    const { instance } = await setup()
    const { cache } = await instance()
    const database = deferred()
    const slow = vi.fn(async () => {
      const read = await loader('a')()
      await database.promise
      return read
    })
    const read = cache.getOrSet('a', slow)
    await expect
      .poll(() => slow.mock.calls.length === 1, { ...POLL, message: 'the load has begun' })
      .toBe(true)

    await cache.deleteByTag(['x'])
    database.resolve()
    await read

    await expect(cache.getOrSet('a', loader('a'))).resolves.toMatchObject({ status: 'miss' })
  })

  it('costs one script call (an HINCRBY per tag), however many entries carry it: no SCAN, KEYS or DEL', async () => {
    // A redis-server of its own: MONITOR on a busy server can trip ioredis (a monitor line may
    // arrive before it has switched the connection to monitoring).
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    const admin = adminClient(server.url)
    const redis = await connectClient(server.url)
    const cache = await startCache<Product>({
      name: 'product',
      redis,
      tags: (product) => product.tags,
      versionRefreshMs: 60_000, // no refresh traffic while the commands are counted
    })
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`)
    const tagged = (id: string) => async () => ({ id, tags: ['x'], edition })
    await Promise.all(ids.map((id) => cache.getOrSet(id, tagged(id))))

    const commands = await commandsSentBy(redis, server.url, () => cache.deleteByTag(['x', 'y']))

    // One EVALSHA (after a restart of Redis's script cache, EVALSHA then EVAL) on tags x and y.
    const calls = commands.map((args) => args[0]?.toLowerCase())
    expect(calls.filter((call) => call !== 'evalsha' && call !== 'eval')).toEqual([])
    expect(calls.filter((call) => call === 'evalsha')).toHaveLength(1)
    expect(commands.at(-1)?.slice(-4)).toEqual(['x', '0', 'y', '0'])
    // The entries are still there, just outdated: nothing was deleted one by one.
    expect(await admin.exists(...ids.map((id) => cache.keyFor(id)))).toBe(ids.length)
    for (const id of ids.slice(0, 5)) {
      await expect(cache.getOrSet(id, tagged(id))).resolves.toMatchObject({ status: 'miss' })
    }
  })
})

/**
 * Every command `client` sent while `work` ran, as Redis saw them (MONITOR, filtered on the
 * client's own address). A marker sent after `work` on the same connection closes the list.
 */
async function commandsSentBy(
  client: Redis,
  url: string,
  work: () => Promise<unknown>,
): Promise<string[][]> {
  const info = String(await client.call('CLIENT', 'INFO'))
  const address = /\baddr=(\S+)/.exec(info)?.[1]
  if (!address) throw new Error(`no addr in CLIENT INFO: ${info}`)
  const monitor = await adminClient(url).monitor()
  onTestFinished(() => monitor.disconnect())
  const seen: string[][] = []
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === address) seen.push(args)
  })
  const marker = `marker:${Math.random()}`
  await work()
  await client.echo(marker)
  await expect
    .poll(() => seen.some((args) => args[1] === marker), {
      ...POLL,
      message: 'MONITOR shows the marker',
    })
    .toBe(true)
  return seen.slice(
    0,
    seen.findIndex((args) => args[1] === marker),
  )
}
