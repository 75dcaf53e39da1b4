/**
 * Cache hits per second in this process, for each library: from its L1 (an in-process tier
 * without serialization) and from Redis with no L1. Every library gets the same working set of
 * product-like values, filled through its own read-through call first; the runs then read
 * those keys over and over through the same call, interleaved in rounds.
 */
import type { Redis } from 'ioredis'
import type { BenchContext } from '../context.js'
import type { RoundSettings } from '../interleaved-rounds.js'
import type { RunMeasurement } from '../results.js'
import type { TargetSpec } from '../targets.js'
import {
  createLibraryCache,
  LIBRARIES,
  LIBRARY_LABELS,
  type LibraryCache,
  type LibraryName,
} from './adapters.js'
import { opsMeasurement, runOps } from './ops.js'

export type HitTier = 'l1' | 'l2'

export interface HitTarget {
  spec: TargetSpec
  library: LibraryName
  tier: HitTier
}

/** ours-l1, bentocache-l1, cache-manager-l1, then the same for l2. */
export const HIT_TARGETS: readonly HitTarget[] = (['l1', 'l2'] as const).flatMap((tier) =>
  LIBRARIES.map((library) => ({
    library,
    tier,
    spec: {
      id: `${library}-${tier}`,
      label: `${LIBRARY_LABELS[library]} · ${tier === 'l1' ? 'L1 hit' : 'L2 hit (no L1)'}`,
      kind: 'service' as const,
    },
  })),
)

/** A value the size and shape of a product: ~320 bytes of JSON. */
export function sampleItem(id: number) {
  return {
    id,
    sku: `SKU-${String(id).padStart(6, '0')}`,
    name: `Product ${id}`,
    description: 'A product of the benchmark, as long as a short catalogue description is.',
    priceCents: 1000 + (id % 9000),
    currency: 'EUR',
    stock: id % 500,
    category: ['books', 'games', 'tools', 'garden'][id % 4],
    tags: ['bench', `group-${id % 10}`],
    rating: { average: 4.2, count: 17 },
    version: 1,
    updatedAt: '2026-11-26T07:39:37.000Z',
  }
}
type Item = ReturnType<typeof sampleItem>

export interface HitRuns {
  /** Each target's runs, the warm-up as round 0. */
  runs: Map<string, RunMeasurement[]>
  /** Redis commands per operation (the whole server's, over each measured run), per target. */
  redisCommandsPerOp: Map<string, number[]>
}

/**
 * Fills `keys` keys in each library's two caches (`two-tier` for the L1 hits, `redis-only` for
 * the L2 hits), then runs every target once per round, in turn, the order reversed every other
 * round (A B C, C B A, as runInterleaved does for the HTTP targets), after one warm-up run each.
 * L1 hits are awaited one at a time; L2 hits run `settings.connections` at once.
 */
export async function measureHits(
  context: BenchContext,
  settings: RoundSettings,
  options: { keyPrefix: string; keys: number },
): Promise<HitRuns> {
  const caches = new Map<string, LibraryCache<Item>>()
  const loads = new Map<string, number>(HIT_TARGETS.map(({ spec }) => [spec.id, 0]))
  const keyNames = Array.from({ length: options.keys }, (_, index) => `p${index}`)
  const items = keyNames.map((_, index) => sampleItem(index))
  /** Each target's loader for each key: the item, counted as a load of that target. */
  const loadersOf = (id: string) =>
    items.map((item) => async () => {
      loads.set(id, (loads.get(id) ?? 0) + 1)
      return item
    })
  try {
    for (const target of HIT_TARGETS) {
      const id = target.spec.id
      const cache = await createLibraryCache<Item>(target.library, {
        redisUrl: context.redisUrl,
        keyPrefix: `${options.keyPrefix}${id}:`,
        layout: target.tier === 'l1' ? 'two-tier' : 'redis-only',
        l1MaxItems: options.keys * 2,
      })
      caches.set(id, cache)
    }
    context.progress.log(`library: filling ${options.keys} keys in ${caches.size} caches`)
    for (const [id, cache] of caches) {
      const loaders = loadersOf(id)
      for (const [index, key] of keyNames.entries()) {
        await cache.getOrSet(key, loaders[index] as () => Promise<Item>)
      }
    }

    const runs = new Map<string, RunMeasurement[]>(HIT_TARGETS.map(({ spec }) => [spec.id, []]))
    const redisCommandsPerOp = new Map<string, number[]>(
      HIT_TARGETS.map(({ spec }) => [spec.id, []]),
    )
    const runOnce = async (target: HitTarget, round: number, durationMs: number) => {
      const id = target.spec.id
      const cache = caches.get(id) as LibraryCache<Item>
      const loaders = loadersOf(id)
      const keyCount = keyNames.length
      const operation = (index: number) => {
        const slot = index % keyCount
        return cache.read(keyNames[slot] as string, loaders[slot] as () => Promise<Item>)
      }
      const label = `library · ${target.spec.label} · ${round === 0 ? 'warm-up' : `round ${round}/${settings.rounds}`}`
      context.progress.runStarted(label, durationMs)
      const loadsBefore = loads.get(id) ?? 0
      const commandsBefore = await commandsProcessed(context.redis)
      const run = await runOps(operation, {
        durationMs,
        concurrency: target.tier === 'l1' ? 1 : settings.connections,
        timeEach: target.tier === 'l2',
      })
      // The INFO itself is one command; the bus heartbeats (ours: 1/s) a few more.
      const commands = (await commandsProcessed(context.redis)) - commandsBefore - 1
      const measurement = opsMeasurement(round, run, (loads.get(id) ?? 0) - loadsBefore)
      runs.get(id)?.push(measurement)
      const perOp = commands / Math.max(1, run.operations)
      if (round > 0) redisCommandsPerOp.get(id)?.push(perOp)
      context.progress.runFinished(
        `${Math.round(measurement.rps).toLocaleString('en-US')} ops/s, ` +
          `${(measurement.cpuUsPerRequest * 1000).toFixed(0)} ns CPU/op, ` +
          `${measurement.errors} errors, ${measurement.databaseLoads} loads, ` +
          `${perOp.toFixed(3)} Redis commands/op`,
      )
    }
    if (settings.warmupMs > 0) {
      for (const target of HIT_TARGETS) await runOnce(target, 0, settings.warmupMs)
    }
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 === 1 ? HIT_TARGETS : [...HIT_TARGETS].reverse()
      for (const target of order) await runOnce(target, round, settings.durationMs)
    }
    return { runs, redisCommandsPerOp }
  } finally {
    for (const cache of caches.values()) await cache.close().catch(() => {})
  }
}

/** The server's count of commands processed so far (INFO stats). */
async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats')
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? Number.NaN)
}
