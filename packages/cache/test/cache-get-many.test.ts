import { describe, expect, it, vi } from 'vitest'
import { type BatchLoader, type CacheObserver, MemoryTier } from '../src/index.js'
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

// getMany: one pass over L1, one Redis round trip, one batch loader call for what this instance
// must load, and still one load per key in the whole cluster.

/**
 * A "database" of ids 1..1000 (others do not exist), counting how often each id is loaded. Its
 * loads wait for `gate`, when given.
 */
function database(gate?: Promise<void>) {
  const rows = new Map<string, string>()
  for (let id = 1; id <= 1000; id++) rows.set(String(id), `product ${id}`)
  const loads = new Map<string, number>()
  const loader = vi.fn<BatchLoader<string>>(async (ids) => {
    await gate
    for (const id of ids) loads.set(id, (loads.get(id) ?? 0) + 1)
    return new Map(ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id) as string]] : [])))
  })
  return { rows, loads, loader }
}

async function setup(observer?: CacheObserver) {
  const admin = adminClient()
  const keyPrefix = isolatedPrefix(admin)
  const channel = `${keyPrefix}cache:bus`
  const instance = async () => {
    const redis = await connectClient()
    return startCache<string>({
      name: 'product',
      redis,
      keyPrefix,
      l1: new MemoryTier(),
      bus: await startBus(redis, channel),
      ...(observer ? { observer } : {}),
    })
  }
  return { admin, instance }
}

describe('Cache.getMany', () => {
  it('answers in the order asked, "no such thing" included, with one loader call', async () => {
    const { instance } = await setup()
    const cache = await instance()
    const db = database()

    const first = await cache.getMany(['3', '1', '4040', '1'], db.loader)

    expect(first.map(({ value }) => value)).toEqual([
      'product 3',
      'product 1',
      undefined,
      'product 1',
    ])
    expect(first.map(({ status }) => status)).toEqual(['miss', 'miss', 'miss', 'miss'])
    expect(db.loader).toHaveBeenCalledTimes(1)
    expect(db.loader.mock.calls[0]?.[0]).toEqual(['3', '1', '4040']) // each id once

    const again = await cache.getMany(['1', '4040', '3'], db.loader)
    expect(again.map(({ status, tier }) => `${status}:${tier}`)).toEqual([
      'hit:l1',
      'hit:l1',
      'hit:l1',
    ])
    expect(db.loader).toHaveBeenCalledTimes(1) // a warm batch costs no query
  })

  it('reads what Redis holds in one round trip and loads only the rest', async () => {
    const { instance } = await setup()
    const [warm, cold] = [await instance(), await instance()]
    const db = database()
    await warm.getMany(['1', '2'], db.loader)

    const answers = await cold.getMany(['1', '2', '3'], db.loader)

    expect(answers.map(({ status, tier }) => `${status}:${tier}`)).toEqual([
      'hit:l2',
      'hit:l2',
      'miss:undefined',
    ])
    expect(db.loader.mock.calls.map(([ids]) => ids)).toEqual([['1', '2'], ['3']])
  })

  it('loads each id once in the whole cluster: 300 overlapping batches of 50 cold ids, 3 instances', async ({
    annotate,
  }) => {
    const observer = spyObserver()
    const { instance } = await setup(observer)
    const instances = [await instance(), await instance(), await instance()]
    // The loads wait until every batch has found its ids missing in Redis: all 300 overlap.
    const everyBatchMissed = deferred()
    const db = database(everyBatchMissed.promise)
    const ids = Array.from({ length: 50 }, (_, i) => String(i + 1))
    // Each batch: 20 to 50 of the ids, in its own order.
    const batches = Array.from({ length: 300 }, (_, n) => {
      const start = (n * 7) % 50
      const rotated = [...ids.slice(start), ...ids.slice(0, start)]
      return n % 2 ? rotated.reverse().slice(0, 20 + (n % 31)) : rotated.slice(0, 20 + (n % 31))
    })

    const reading = Promise.all(
      batches.map((batch, n) =>
        (instances[n % 3] as (typeof instances)[0]).getMany(batch, db.loader),
      ),
    )
    const idsAsked = batches.reduce((sum, batch) => sum + batch.length, 0)
    await expect.poll(() => observer.miss.mock.calls.length, POLL).toBe(idsAsked)
    everyBatchMissed.resolve()
    const answers = await reading

    batches.forEach((batch, n) => {
      expect(answers[n]?.map(({ value }) => value)).toEqual(batch.map((id) => `product ${id}`))
    })
    const loadsPerId = ids.map((id) => db.loads.get(id))
    await annotate(`${db.loader.mock.calls.length} loader calls for ${batches.length} batches`)
    expect(loadsPerId).toEqual(ids.map(() => 1))
  })

  it('joins a single read of the same key under way, and a single read and a batch share a load', async () => {
    const { instance } = await setup()
    const cache = await instance()
    const db = database()
    const release = deferred()
    const single = cache.getOrSet('7', async () => {
      await release.promise
      return 'product 7 (single)'
    })
    const batch = cache.getMany(['7', '8'], db.loader)
    // Whichever starts loading 8 first, the other joins it.
    const singleLoader = vi.fn(async () => 'product 8')
    const joiner = cache.getOrSet('8', singleLoader)
    release.resolve()

    const [answers, joined] = await Promise.all([batch, joiner, single])
    expect(answers.map(({ value }) => value)).toEqual(['product 7 (single)', 'product 8'])
    expect(joined.value).toBe('product 8')
    expect(db.loads.get('7')).toBeUndefined()
    expect((db.loads.get('8') ?? 0) + singleLoader.mock.calls.length).toBe(1)
  })

  it('sees a write made between two batches, on every instance', async () => {
    const { instance } = await setup()
    const instances = [await instance(), await instance(), await instance()]
    const db = database()
    for (const cache of instances) await cache.getMany(['1', '2'], db.loader)

    db.rows.set('2', 'product 2, renamed')
    await instances[0]?.delete('2')

    for (const cache of instances) {
      await expect
        .poll(
          async () =>
            (await cache.getMany(['1', '2'], db.loader))[1]?.value === 'product 2, renamed',
          { ...POLL, message: 'the write is seen' },
        )
        .toBe(true)
    }
    expect(db.loads.get('2')).toBe(2) // loaded once again, by one of the three
  })

  it('fences a batch load an invalidation overtook: nothing stale is stored', async () => {
    const { admin, instance } = await setup()
    const [reader, writer] = [await instance(), await instance()]
    const db = database()
    const loaded = deferred()
    const release = deferred()
    const slow: BatchLoader<string> = async (ids) => {
      const rows = await db.loader(ids) // reads the rows before the write
      loaded.resolve()
      await release.promise
      return rows
    }
    const read = reader.getMany(['5', '6'], slow)
    await loaded.promise
    db.rows.set('5', 'product 5, renamed')
    await writer.delete('5')
    release.resolve()
    await read

    expect(await admin.get(reader.keyFor('5'))).toBeNull() // fenced
    expect(JSON.parse((await admin.get(reader.keyFor('6'))) ?? 'null')).toMatchObject({
      value: 'product 6',
    })
    const after = await reader.getMany(['5'], db.loader)
    expect(after[0]?.value).toBe('product 5, renamed')
  })
})
