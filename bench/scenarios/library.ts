import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BenchContext } from '../context.js'
import { measuredRounds, type RoundSettings } from '../interleaved-rounds.js'
import {
  createLibraryCache,
  LIBRARIES,
  LIBRARY_LABELS,
  type LibraryName,
} from '../library/adapters.js'
import { HIT_TARGETS, measureHits } from '../library/hits.js'
import { opsMeasurement } from '../library/ops.js'
import { type RaceResult, type Row, raceReadsAgainstWrites } from '../library/race.js'
import { startStampedeProcesses } from '../library/stampede-processes.js'
import { deleteKeysByPrefix } from '../redis-keys.js'
import { formatCount } from '../report/format.js'
import type { RunMeasurement, ScenarioResult, TargetResult } from '../results.js'
import { median, summarizeLatencies } from '../stats.js'
import { pairedCpuRatio, pairedRatio, summarizeTarget } from '../summarize-target.js'
import type { TargetSpec } from '../targets.js'
import { check, roundSettings, type Scenario, times } from './scenario.js'

const NAME = 'library'
/** Keys the hit runs cycle through (every one in each library's L1, or in Redis). */
const HIT_KEYS = 1000
const PROCESSES = 3
const DB_LATENCY_MS = 100
/** Per process, per stampede. */
const STAMPEDE_CALLS = { full: 100, quick: 20 }
/** Keys raced per round, and rounds (each library in every round, the order alternating). */
const RACE_KEYS = { full: 200, quick: 20 }
const RACE_ROUNDS = { full: 3, quick: 1 }
/** Between the race and the check: well over what an invalidation takes to cross a bus. */
const RACE_QUIET_MS = 200

const L1_GOAL = 2
const L2_GOAL = 1.1

/** One target per library for what several instances do: the stampede's rounds, the race's counts. */
const instancesSpec = (library: LibraryName): TargetSpec => ({
  id: `${library}-instances`,
  label: `${LIBRARY_LABELS[library]} · ${PROCESSES} processes (stampede) and 2 instances (race)`,
  kind: 'service',
})

/**
 * The cache libraries themselves, in this process (no HTTP): our package against bentocache
 * and cache-manager, each its own reference, interleaved in the same rounds.
 */
export const library: Scenario = {
  name: NAME,
  title: 'Library level: ours vs bentocache and cache-manager',
  async run(context) {
    const quick = context.options.quick
    const settings = roundSettings(
      context,
      { rounds: 5, durationMs: 2000, warmupMs: 1000, connections: 50 },
      { durationMs: 300, warmupMs: 100 },
    )
    const prefix = context.keyPrefix(`${NAME}:`)
    const stampedeCalls = quick ? STAMPEDE_CALLS.quick : STAMPEDE_CALLS.full
    const raceKeys = quick ? RACE_KEYS.quick : RACE_KEYS.full
    const raceRounds = quick ? RACE_ROUNDS.quick : RACE_ROUNDS.full
    try {
      const hits = await measureHits(context, settings, {
        keyPrefix: `${prefix}hit:`,
        keys: HIT_KEYS,
      })
      const stampedes = await measureStampedes(context, {
        keyPrefix: `${prefix}stampede:`,
        rounds: settings.rounds,
        warmup: !quick,
        calls: stampedeCalls,
      })
      const races = await measureRaces(context, {
        keyPrefix: `${prefix}race:`,
        rounds: raceRounds,
        keys: raceKeys,
      })
      return libraryResult(settings, hits, stampedes, races, {
        stampedeCalls,
        raceKeys,
        raceRounds,
        versions: await libraryVersions(context.repoRoot),
      })
    } finally {
      const deleted = await deleteKeysByPrefix(context.redis, prefix).catch(() => 0)
      context.progress.log(`library: deleted its ${deleted} Redis keys`)
    }
  },
}

/**
 * `calls` concurrent reads of one cold key in each of the processes at once, per library and
 * round (a new key each time), the library order reversed every other round. With `warmup`,
 * one unmeasured stampede per library first (round 0, on keys of its own).
 */
async function measureStampedes(
  context: BenchContext,
  options: { keyPrefix: string; rounds: number; warmup: boolean; calls: number },
): Promise<Map<LibraryName, RunMeasurement[]>> {
  context.progress.log(`library: starting ${PROCESSES} stampede processes`)
  const processes = await startStampedeProcesses(context, {
    processes: PROCESSES,
    keyPrefix: options.keyPrefix,
    dbLatencyMs: DB_LATENCY_MS,
  })
  const measured = new Map<LibraryName, RunMeasurement[]>(LIBRARIES.map((name) => [name, []]))
  try {
    for (let round = options.warmup ? 0 : 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? LIBRARIES : [...LIBRARIES].reverse()
      for (const name of order) {
        const label = `library · stampede · ${LIBRARY_LABELS[name]} ×${PROCESSES} · ${round === 0 ? 'warm-up' : `round ${round}/${options.rounds}`}`
        context.progress.runStarted(label, 0)
        const { reports, elapsedMs } = await processes.stampede(
          name,
          `cold-${round}`,
          options.calls,
        )
        const latencies = Float64Array.from(reports.flatMap((report) => report.latencies))
        const run = opsMeasurement(
          round,
          {
            operations: latencies.length,
            errors: reports.reduce((total, report) => total + report.errors, 0),
            elapsedMs,
            // Not measured: /proc counts in 10 ms ticks, as long as a whole stampede's work.
            cpuMs: Number.NaN,
            latency: summarizeLatencies(latencies),
          },
          reports.reduce((total, report) => total + report.loads, 0),
        )
        run.slowResponses = latencies.filter((ms) => ms >= DB_LATENCY_MS).length
        measured.get(name)?.push(run)
        context.progress.runFinished(
          `${run.databaseLoads} loads (${reports.map((report) => report.loads).join(' + ')}) ` +
            `for ${run.requests} calls, ${run.errors} errors, p50 ${run.latency.p50.toFixed(1)} ms`,
        )
      }
    }
  } finally {
    await processes.stop()
  }
  return measured
}

/**
 * The read/write race (bench/library/race.ts) on fresh keys each round, for each library with
 * two instances of it (layout `instances`) created for the round and closed after it.
 */
async function measureRaces(
  context: BenchContext,
  options: { keyPrefix: string; rounds: number; keys: number },
): Promise<Map<LibraryName, RaceResult[]>> {
  const measured = new Map<LibraryName, RaceResult[]>(LIBRARIES.map((name) => [name, []]))
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? LIBRARIES : [...LIBRARIES].reverse()
    for (const name of order) {
      const adapterOptions = {
        redisUrl: context.redisUrl,
        keyPrefix: `${options.keyPrefix}${name}:`,
        layout: 'instances' as const,
      }
      const reader = await createLibraryCache<Row>(name, adapterOptions)
      const writer = await createLibraryCache<Row>(name, adapterOptions).catch(async (error) => {
        await reader.close()
        throw error
      })
      try {
        context.progress.runStarted(
          `library · race · ${LIBRARY_LABELS[name]} · round ${round}/${options.rounds}`,
          0,
        )
        const result = await raceReadsAgainstWrites(reader, writer, {
          keys: options.keys,
          keyPrefix: `r${round}-`,
          quietMs: RACE_QUIET_MS,
        })
        measured.get(name)?.push(result)
        context.progress.runFinished(
          `${result.staleKeys} of ${result.keys} keys stale after the race ` +
            `(${result.racedLoads} loads held, ${result.readErrors} reads failed)`,
        )
      } finally {
        await reader.close()
        await writer.close()
      }
    }
  }
  return measured
}

async function libraryVersions(repoRoot: string): Promise<Record<string, string>> {
  const versions: Record<string, string> = {}
  for (const name of ['bentocache', 'cache-manager', 'keyv', '@keyv/redis', 'ioredis']) {
    try {
      const file = join(repoRoot, 'node_modules', name, 'package.json')
      versions[name] = (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version
    } catch {
      versions[name] = 'unknown'
    }
  }
  return versions
}

function libraryResult(
  settings: RoundSettings,
  hits: Awaited<ReturnType<typeof measureHits>>,
  stampedes: Map<LibraryName, RunMeasurement[]>,
  races: Map<LibraryName, RaceResult[]>,
  figures: {
    stampedeCalls: number
    raceKeys: number
    raceRounds: number
    versions: Record<string, string>
  },
): ScenarioResult {
  const runsOf = (id: string) => hits.runs.get(id) ?? []
  const hitTargets = HIT_TARGETS.map(({ spec, library, tier }) => {
    const runs = runsOf(spec.id)
    const reference = measuredRounds(runsOf(`bentocache-${tier}`))
    const rounds = measuredRounds(runs)
    return summarizeTarget(
      spec,
      runs,
      {},
      {
        opsPerSecond: median(rounds.map((run) => run.rps)),
        nsPerOp: median(rounds.map((run) => (run.elapsedMs * 1e6) / Math.max(1, run.requests))),
        cpuNsPerOp: median(rounds.map((run) => run.cpuUsPerRequest * 1000)),
        vsBentocache: library === 'bentocache' ? 1 : pairedRatio(rounds, reference),
        cpuVsBentocache: library === 'bentocache' ? 1 : pairedCpuRatio(rounds, reference),
        redisCommandsPerOp: median(hits.redisCommandsPerOp.get(spec.id) ?? []),
        loads: rounds.reduce((total, run) => total + run.databaseLoads, 0),
      },
    )
  })
  const instanceTargets = LIBRARIES.map((name) => {
    const runs = stampedes.get(name) ?? []
    const loads = measuredRounds(runs).map((run) => run.databaseLoads)
    const raced = races.get(name) ?? []
    return summarizeTarget(
      instancesSpec(name),
      runs,
      {},
      {
        stampedeLoadsMedian: median(loads),
        stampedeLoadsMin: Math.min(...loads),
        stampedeLoadsMax: Math.max(...loads),
        raceKeysPerRound: figures.raceKeys,
        raceStaleKeysMin: Math.min(...raced.map((race) => race.staleKeys)),
        raceStaleKeysMax: Math.max(...raced.map((race) => race.staleKeys)),
        raceReadErrors: raced.reduce((total, race) => total + race.readErrors, 0),
      },
    )
  })
  const targets = [...hitTargets, ...instanceTargets]
  const byId = (id: string) => targets.find((target) => target.id === id)
  const notes: string[] = [
    `Versions: ${Object.entries(figures.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}; ours from packages/cache/src (run by tsx).`,
  ]
  for (const target of hitTargets) {
    const perOp = target.extra.redisCommandsPerOp ?? Number.NaN
    if (target.id.endsWith('-l1') && perOp > 0.01) {
      notes.push(
        `${target.label}: ${perOp.toFixed(3)} Redis commands per operation: not all L1 hits.`,
      )
    }
    if (target.databaseLoads > 0) {
      notes.push(`${target.label}: ${target.databaseLoads} loads during the hit runs.`)
    }
  }

  return {
    name: NAME,
    title: 'Library level: our package vs bentocache and cache-manager',
    description:
      `The three libraries called in one process, no HTTP. L1 hit: each library's in-process ` +
      `tier in front of Redis, without serialization (ours: MemoryTier; bentocache: memory ` +
      `driver with serialize: false; cache-manager: a Keyv on a Map), ${HIT_KEYS} keys of a ` +
      `~320-byte product read one call at a time. L2 hit: the same through Redis alone (no ` +
      `L1), ${settings.connections} calls in flight. ops/s is each library's read-through call ` +
      `(getOrSet, getOrSet, wrap) per second; the ratios are paired round by round against ` +
      `bentocache. Redis commands per operation (INFO, the whole server's) tell the L1 runs from the L2 ones. Stampede: ${PROCESSES} processes, each with its own instance of each ` +
      `library on the same Redis, ${figures.stampedeCalls} concurrent reads of one cold key in ` +
      `each at once, a loader of ${DB_LATENCY_MS} ms; loads counted over the ${PROCESSES}. ` +
      `Race: two instances per library, ${figures.raceKeys} cold keys whose loads read the ` +
      `database and are held while the other instance updates every row and deletes its key; ` +
      `then both instances read every key. bentocache and ours run with their bus; ` +
      `cache-manager has none, so it runs on Redis alone for these two.`,
    settings: {
      rounds: settings.rounds,
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
      hitKeys: HIT_KEYS,
      l1Concurrency: 1,
      l2Concurrency: settings.connections,
      processes: PROCESSES,
      stampedeCallsPerProcess: figures.stampedeCalls,
      dbLatencyMs: DB_LATENCY_MS,
      raceKeys: figures.raceKeys,
      raceRounds: figures.raceRounds,
    },
    targets,
    checks: [
      ratioCheck(
        'L1 hit',
        L1_GOAL,
        byId('ours-l1'),
        byId('bentocache-l1'),
        byId('cache-manager-l1'),
      ),
      ratioCheck(
        'L2 hit',
        L2_GOAL,
        byId('ours-l2'),
        byId('bentocache-l2'),
        byId('cache-manager-l2'),
      ),
      stampedeCheck(instanceTargets),
      raceCheck(instanceTargets),
    ],
    notes,
  }
}

function ratioCheck(
  what: string,
  goal: number,
  ours: TargetResult | undefined,
  bentocache: TargetResult | undefined,
  cacheManager: TargetResult | undefined,
) {
  const value = ours?.extra.vsBentocache ?? Number.NaN
  const opsPerSecond = (target: TargetResult | undefined) =>
    formatCount(target?.extra.opsPerSecond ?? Number.NaN)
  return check(NAME, {
    title: `Library: ${what} vs bentocache (ops/s)`,
    goal: `≥ ${goal.toFixed(1)}× bentocache`,
    value,
    measured: `${times(value)} (${opsPerSecond(ours)} vs ${opsPerSecond(bentocache)} ops/s)`,
    met: value >= goal,
    detail:
      `by CPU per operation ${times(ours?.extra.cpuVsBentocache ?? Number.NaN)}; ` +
      `cache-manager ${opsPerSecond(cacheManager)} ops/s (ours ` +
      `${times(ratioOf(ours, cacheManager))} it); medians of ${ours?.rounds.length ?? 0} rounds`,
  })
}

/** Ours / another, by the medians of ops/s (the pairing is against bentocache only). */
function ratioOf(ours: TargetResult | undefined, other: TargetResult | undefined): number {
  const a = ours?.extra.opsPerSecond ?? Number.NaN
  const b = other?.extra.opsPerSecond ?? Number.NaN
  return b > 0 ? a / b : Number.NaN
}

function perRound(target: TargetResult | undefined): string {
  return target ? target.rounds.map((run) => run.databaseLoads).join(', ') : 'n/a'
}

function stampedeCheck(targets: readonly TargetResult[]) {
  const [ours, ...others] = targets
  const min = ours?.extra.stampedeLoadsMin ?? Number.NaN
  const max = ours?.extra.stampedeLoadsMax ?? Number.NaN
  return check(NAME, {
    title: `Library: loads per cold-key stampede over ${PROCESSES} processes`,
    goal: 'exactly 1 per stampede (ours)',
    value: max,
    measured: min === max ? `${max} in every round` : `${min} to ${max}`,
    met: min === 1 && max === 1,
    detail:
      `ours: ${perRound(ours)}; ` +
      others.map((target) => `${target.label.split(' · ')[0]}: ${perRound(target)}`).join('; '),
  })
}

function raceCheck(targets: readonly TargetResult[]) {
  const [ours, ...others] = targets
  const stale = (target: TargetResult | undefined) => target?.extra.raceStaleKeysMax ?? Number.NaN
  const keys = ours?.extra.raceKeysPerRound ?? Number.NaN
  return check(NAME, {
    title: 'Library: stale keys after the read/write race',
    goal: '0 (ours)',
    value: stale(ours),
    measured: `${stale(ours)} of ${keys}`,
    met: stale(ours) === 0,
    detail: `most in a round; ${others
      .map((target) => `${target.label.split(' · ')[0]}: ${stale(target)} of ${keys}`)
      .join('; ')}`,
  })
}
