/**
 * One of the processes of the library stampede: an instance of each library (layout
 * `instances`) on the shared Redis, idle until the bench says "go" on a Redis channel. Then
 * `calls` concurrent reads of one cold key through the library named, with a loader that takes
 * `LIB_DB_LATENCY_MS`; the loader calls are counted and pushed back to the bench on a list.
 * Every process hears the same message at once, so the reads of all of them start together.
 *
 *   LIB_REDIS_URL=… LIB_KEY_PREFIX=bench:…:library:stampede: LIB_CHILD=1 LIB_DB_LATENCY_MS=100 \
 *     node --import tsx bench/library/stampede-child.ts
 *
 * Started and stopped (by PID) by the bench: see stampede-processes.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { createLibraryCache, LIBRARIES, type LibraryCache, type LibraryName } from './adapters.js'
import { type StampedeCommand, type StampedeReport, stampedeChannels } from './stampede-protocol.js'

const redisUrl = process.env.LIB_REDIS_URL ?? 'redis://127.0.0.1:6379'
const keyPrefix = process.env.LIB_KEY_PREFIX
if (!keyPrefix) throw new Error('LIB_KEY_PREFIX is required')
const child = Number(process.env.LIB_CHILD ?? 0)
const dbLatencyMs = Number(process.env.LIB_DB_LATENCY_MS ?? 100)
const channels = stampedeChannels(keyPrefix)

const caches = new Map<LibraryName, LibraryCache<unknown>>()
for (const library of LIBRARIES) {
  caches.set(
    library,
    await createLibraryCache(library, {
      redisUrl,
      keyPrefix: `${keyPrefix}${library}:`,
      layout: 'instances',
    }),
  )
}
const commands = new Redis(redisUrl)
const subscriber = new Redis(redisUrl)
for (const client of [commands, subscriber]) client.on('error', () => {})

let closing: Promise<void> | undefined
const close = () => {
  closing ??= (async () => {
    subscriber.disconnect()
    for (const cache of caches.values()) await cache.close().catch(() => {})
    commands.disconnect()
  })()
  return closing
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void close().finally(() => process.exit(0)))
}
// Should the bench die without stopping it (SIGKILL), go too rather than idle forever.
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) void close().finally(() => process.exit(0))
}, 1000).unref()

async function stampede(command: Extract<StampedeCommand, { op: 'stampede' }>) {
  const cache = caches.get(command.library)
  if (!cache) throw new Error(`no library ${command.library}`)
  let loads = 0
  const loader = async () => {
    loads++
    await sleep(dbLatencyMs)
    return { id: command.key, loadedBy: child }
  }
  const latencies: number[] = []
  let errors = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: command.calls }, async () => {
      const begin = performance.now()
      try {
        const value = await cache.getOrSet(command.key, loader)
        if ((value as { id?: unknown } | undefined)?.id !== command.key) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - begin)
    }),
  )
  const report: StampedeReport = {
    child,
    loads,
    calls: command.calls,
    errors,
    elapsedMs: performance.now() - started,
    latencies,
  }
  await commands.rpush(channels.results(command.id), JSON.stringify(report))
}

subscriber.on('message', (_channel, message) => {
  const command = JSON.parse(message) as StampedeCommand
  if (command.op === 'quit') {
    void close().finally(() => process.exit(0))
    return
  }
  stampede(command).catch(async (error: unknown) => {
    const failure: StampedeReport = {
      child,
      loads: 0,
      calls: command.calls,
      errors: command.calls,
      elapsedMs: 0,
      latencies: [],
      failure: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }
    await commands.rpush(channels.results(command.id), JSON.stringify(failure)).catch(() => {})
  })
})
await subscriber.subscribe(channels.control)
await commands.rpush(channels.ready, String(child))
