import { masterConnections, type RedisClient } from '@caching-strategies/cache'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetrics } from '../../src/metrics.js'
import { openServices, type Services } from '../../src/services.js'
import { auth, startTestApp, type TestApp } from '../support/app.js'

const PRODUCTS = 45
const FLOOD = 1000
/** Issue 16: a client walking random cursors at limits nobody uses. */
const floodRequest = () => ({
  cursor: 1 + Math.floor(Math.random() * 2_147_483_646),
  limit: 76 + Math.floor(Math.random() * 24), // 76–99
})

/** What the app's list pages hold in Redis: entry keys, and their `{…}:gen` / `:lease` companions. */
async function footprint(client: RedisClient, keyPrefix: string) {
  const [redis] = masterConnections(client) // this file runs on one Redis
  if (redis === undefined) throw new Error('no Redis master connected')
  const namespace = `${keyPrefix}product_list:`.replace(/[*?[\]\\]/g, '\\$&')
  const scan = async (pattern: string) => {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      keys.push(...found)
      cursor = next
    } while (cursor !== '0')
    return keys
  }
  const info = await redis.info('memory')
  return {
    keys: await scan(`${namespace}*`),
    companions: await scan(`\\{${namespace}*`),
    usedMemory: Number(/used_memory:(\d+)/.exec(info)?.[1]),
  }
}

type Footprint = Awaited<ReturnType<typeof footprint>>

function report(what: string, before: Footprint, after: Footprint): void {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`
  console.log(
    `${what}: product_list keys ${before.keys.length} -> ${after.keys.length}, ` +
      `{…}:gen/:lease keys ${before.companions.length} -> ${after.companions.length}, ` +
      `used_memory ${mb(before.usedMemory)} -> ${mb(after.usedMemory)} (shared Redis: other ` +
      'test files write to it too)',
  )
}

/** Runs `count` calls, `lanes` at a time (enough to be quick, few enough for two cores). */
async function inLanes(count: number, lanes: number, call: () => Promise<void>) {
  let left = count
  const lane = async () => {
    while (left-- > 0) await call()
  }
  await Promise.all(Array.from({ length: lanes }, lane))
}

describe('list pages: the cache bounds itself', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ SEED_PRODUCTS: String(PRODUCTS) })
  })
  afterAll(() => t?.close())

  const get = (query: string) => t.app.inject({ method: 'GET', url: `/products${query}` })

  it(`${FLOOD} requests over random cursors and limits 76–99 add at most a handful of keys`, async () => {
    const before = await footprint(t.dependencies.redis, t.config.REDIS_KEY_PREFIX)
    await inLanes(FLOOD, 10, async () => {
      const { cursor, limit } = floodRequest()
      const response = await get(`?cursor=${cursor}&limit=${limit}`)
      expect(response.statusCode).toBe(200)
      // Loaded and not kept: a miss no tier holds, and nothing for an HTTP cache to keep.
      expect(response.headers['x-cache']).toBe('MISS')
      expect(response.headers['x-cache-tier']).toBeUndefined()
      expect(response.headers['cache-control']).toMatch(/max-age=0\b/)
    })
    const after = await footprint(t.dependencies.redis, t.config.REDIS_KEY_PREFIX)
    report('bounded', before, after)
    expect(after.keys.length - before.keys.length).toBeLessThanOrEqual(5)
    expect(after.companions.length - before.companions.length).toBeLessThanOrEqual(5)
  })

  it('caches the pages a walk with next_cursor goes through (limit 20)', async () => {
    const walk = async () => {
      const seen: Array<{ ids: number[]; xCache: unknown }> = []
      let cursor: string | null = null
      do {
        const response = await get(cursor ? `?limit=20&cursor=${cursor}` : '?limit=20')
        expect(response.statusCode).toBe(200)
        const page = response.json()
        seen.push({
          ids: page.items.map((p: { id: number }) => p.id),
          xCache: response.headers['x-cache'],
        })
        cursor = page.next_cursor
      } while (cursor)
      return seen
    }
    const first = await walk()
    const second = await walk()
    expect(first.flatMap((page) => page.ids)).toEqual(
      Array.from({ length: PRODUCTS }, (_, i) => i + 1),
    )
    expect(first.map((page) => page.xCache)).toEqual(['MISS', 'MISS', 'MISS'])
    expect(second.map((page) => page.ids)).toEqual(first.map((page) => page.ids))
    expect(second.map((page) => page.xCache)).toEqual(['HIT', 'HIT', 'HIT'])
    const { keys } = await footprint(t.dependencies.redis, t.config.REDIS_KEY_PREFIX)
    // Entry keys end in `:v<version>:<cursor>:<limit>`.
    const walked = keys.map((key) => /:v\d+:(\d+:20)$/.exec(key)?.[1]).filter(Boolean)
    expect(walked.sort()).toEqual(['0:20', '20:20', '40:20'])
  })

  it('answers a cursor past the end with an empty page, and stores nothing for it', async () => {
    const before = await footprint(t.dependencies.redis, t.config.REDIS_KEY_PREFIX)
    const response = await get('?limit=20&cursor=2000000000')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ items: [], next_cursor: null })
    expect(response.headers['x-cache']).toBe('MISS')
    const after = await footprint(t.dependencies.redis, t.config.REDIS_KEY_PREFIX)
    expect(after.keys).toEqual(expect.arrayContaining(before.keys))
    expect(after.keys.length).toBe(before.keys.length)
    expect(
      [...after.keys, ...after.companions].filter((key) => key.includes('2000000000')),
    ).toEqual([])
  })

  // Last: it deletes products.
  it('never stores a page it pointed to once deletes leave it past the end', async () => {
    // The walk above handed out cursor 40 at limit 20; deleting 41–45 leaves nothing after it.
    for (let id = 41; id <= PRODUCTS; id++) {
      const deleted = await t.app.inject({
        method: 'DELETE',
        url: `/products/${id}`,
        headers: auth,
      })
      expect(deleted.statusCode).toBe(204)
    }
    for (const _ of [1, 2]) {
      const response = await get('?limit=20&cursor=40')
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ items: [], next_cursor: null })
      expect(response.headers['x-cache']).toBe('MISS') // the second too: the first stored nothing
    }
  })
})

describe('list pages with the bound off (every-page), to show what it prevents', () => {
  let t: TestApp
  let services: Services
  beforeAll(async () => {
    t = await startTestApp({ SEED_PRODUCTS: String(PRODUCTS) })
    // The app's own catalog is bounded; these services run beside it on the same key prefix.
    const quiet = { info() {}, warn() {}, error() {} }
    services = await openServices(t.config, t.dependencies, {
      metrics: createMetrics(),
      logger: quiet,
      listPageCaching: 'every-page',
    })
  })
  afterAll(async () => {
    await services?.close()
    await t?.close()
  })

  it(`the same ${FLOOD} requests add about one key each`, async () => {
    const before = await footprint(t.dependencies.redis, t.config.REDIS_KEY_PREFIX)
    await inLanes(FLOOD, 10, async () => {
      const { cursor, limit } = floodRequest()
      const { page } = await services.catalog.list(cursor, limit)
      expect(page.items).toEqual([])
    })
    const after = await footprint(t.dependencies.redis, t.config.REDIS_KEY_PREFIX)
    report('every-page', before, after)
    expect(after.keys.length - before.keys.length).toBeGreaterThan(FLOOD / 2)
  })
})
