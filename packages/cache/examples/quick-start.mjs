// Quick start: a two-tier cache (this process's memory, then Redis) in front of a slow "database".
// Run it with a Redis at REDIS_URL (default redis://127.0.0.1:6379):
//   node quick-start.mjs
import { setTimeout as sleep } from 'node:timers/promises'
import {
  Cache,
  createRedisClient,
  InvalidationBus,
  MemoryTier,
  whenReady,
} from '@caching-strategies/cache'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// Every key this example writes starts with it, so it can clean up after itself.
const keyPrefix = `quick-start:${process.pid}-${Date.now()}:`

// The source of truth: a Map that takes 50 ms per query, and counts them.
const database = new Map([
  ['42', { id: '42', name: 'Mug', priceCents: 1299 }],
  ['7', { id: '7', name: 'Teapot', priceCents: 3500 }],
])
let queries = 0
async function loadProduct(id) {
  queries++
  await sleep(50)
  return database.get(id) // undefined: no such product (cached too, for negativeTtlSeconds)
}

// A client tuned for a cache: commands fail fast, after 500 ms at most, and while disconnected.
const redis = createRedisClient(REDIS_URL, { commandTimeoutMs: 500, name: 'quick-start' })
if (!(await whenReady(redis, 2000))) {
  // The cache itself would carry on without Redis (reads go to the loader); this example would not.
  console.error(`No Redis answers at ${REDIS_URL}: start one, or set REDIS_URL`)
  redis.disconnect()
  process.exit(1)
}
// One L1 per process, shared by its caches; the bus tells the other processes what to drop.
const l1 = new MemoryTier({ maxItems: 10_000, ttlMs: 30_000 })
const bus = new InvalidationBus({ publisher: redis, channel: `${keyPrefix}cache:bus` })
const products = new Cache({
  name: 'product',
  redis,
  keyPrefix,
  l1,
  bus,
  ttlSeconds: 60, // fresh for a minute
  graceSeconds: 600, // then served stale, while one refresh runs, for ten more
})
await bus.start()
await products.start()

const counted = (n) => `${n} database ${n === 1 ? 'query' : 'queries'}`
// Prints how a read was answered (`hit`, `stale` or `miss`, and which tier) and what it cost.
const show = (what, lookup, queriesBefore) =>
  console.log(
    `${what}: ${lookup.status}${lookup.tier ? ` from ${lookup.tier}` : ''}, ` +
      `${JSON.stringify(lookup.value ?? null)}, ${counted(queries - queriesBefore)}`,
  )

try {
  // 1. A miss: loaded from the database, stored in Redis and in L1.
  let before = queries
  show('miss', await products.getOrSet('42', () => loadProduct('42')), before)

  // 2. A hit: answered from this process's memory, no query.
  before = queries
  show('hit', await products.getOrSet('42', () => loadProduct('42')), before)

  // 3. A stampede: 100 concurrent reads of a cold key cost one query (one loader per key across
  //    every process that shares this Redis; the other readers wait for its result).
  before = queries
  const reads = await Promise.all(
    Array.from({ length: 100 }, () => products.getOrSet('7', () => loadProduct('7'))),
  )
  const same = reads.every((read) => read.value?.name === 'Teapot')
  console.log(
    `stampede: ${reads.length} concurrent reads, ${counted(queries - before)}, ` +
      `${same ? 'every read got the same value' : 'the reads disagree!'}`,
  )

  // 4. A write: the database first, then `set` stores the new value (a load still under way,
  //    which read the old row, can no longer store it) and tells the other processes.
  database.set('42', { id: '42', name: 'Mug', priceCents: 999 })
  await products.set('42', database.get('42'))
  before = queries
  show('after set', await products.getOrSet('42', () => loadProduct('42')), before)

  // 5. A delete: the row goes, then the entry, everywhere. The next read finds no such product,
  //    and "no such product" is cached too.
  database.delete('42')
  await products.delete('42')
  before = queries
  show('after delete', await products.getOrSet('42', () => loadProduct('42')), before)
  before = queries
  show('absent, cached', await products.getOrSet('42', () => loadProduct('42')), before)
} finally {
  await products.close()
  await bus.close()
  // Clean up: the entries and the cache's own keys start with the prefix; an entry's generation
  // and lease keys with `{` and the prefix (a Redis Cluster hash tag).
  for (const pattern of [`${keyPrefix}*`, `{${keyPrefix}*`]) {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  }
  await redis.quit()
}
console.log('done: closed, keys cleaned up')
