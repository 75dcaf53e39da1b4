import type { CacheCounters, HitRatios } from './cache-counters.js'
import type { ConsistencyFigures } from './consistency-counters.js'
import type { TimelineBin } from './load-driver.js'
import type { LatencySummary } from './stats.js'
import type { Strategy, TargetKind } from './targets.js'

export const SLOW_RESPONSE_MS = 100

/** One load run against one target: a round of a scenario. */
export interface RunMeasurement {
  round: number
  elapsedMs: number
  requests: number
  rps: number
  latency: LatencySummary
  /** With a split by a response header (X-Cache): the latencies of each value's responses. */
  split?: Record<string, LatencySummary>
  /** Responses that took at least SLOW_RESPONSE_MS: those that waited for a 100 ms database. */
  slowResponses: number
  /** Responses outside 2xx, plus requests with no response (socket errors, timeouts). */
  errors: number
  non2xx: number
  socketErrors: number
  timeouts: number
  statusCodes: Record<string, number>
  /** CPU the target's processes used during the run (user + system), and per response. */
  serverCpuMs: number
  cpuUsPerRequest: number
  /** The product cache's counters over the run, summed over the target's instances. */
  counters: CacheCounters
  /** Reads that reached the database: cache loads, or every read for strategy none. */
  databaseLoads: number
  timeline: TimelineBin[]
  events: Array<{ atMs: number; label: string }>
}

/** Per-round figures and their medians, for one target of one scenario. */
export interface TargetResult {
  id: string
  label: string
  kind: TargetKind
  strategy: Strategy | undefined
  instances: number
  env: Readonly<Record<string, string>>
  rounds: RunMeasurement[]
  /** The unmeasured first run (JIT, caches), if the scenario has one. */
  warmup: RunMeasurement | undefined
  /** Medians over the rounds. */
  median: {
    rps: number
    p50: number
    p90: number
    p99: number
    p999: number
    max: number
    cpuUsPerRequest: number
  }
  requests: number
  errors: number
  databaseLoads: number
  loadsPer1000: number
  counters: CacheCounters
  hitRatios: HitRatios
  /**
   * Median over rounds of (this target's req/s / the reference's req/s in the same round):
   * paired by round, so drift of a noisy machine cancels out. Absent when the scenario has no
   * such reference.
   */
  ratios: { vsBareFastify?: number; vsIoredis?: number; vsStandalone?: number }
  /**
   * The same comparison by server CPU per request (reference's / this target's, so above 1 is
   * cheaper than the reference): it does not move when other processes take the cores.
   */
  cpuRatios: { vsBareFastify?: number; vsIoredis?: number; vsStandalone?: number }
  /** Scenario-specific figures, e.g. distinct keys requested, req/s during the outage. */
  extra: Record<string, number>
}

/** A target of the issue, met or not, as the report states it. */
export interface TargetCheck {
  scenario: string
  title: string
  /** The goal as text, e.g. "≥ 0.90× bare Fastify". */
  goal: string
  /** The measured value as text, e.g. "0.93×". */
  measured: string
  value: number
  met: boolean
  detail: string
}

/**
 * One target measured on the run's Redis Cluster and, in the same rounds, on the one Redis
 * (--topology cluster): a figure both ways and their ratio, cluster / standalone.
 */
export interface TopologyComparison {
  scenario: string
  /** The target on the one Redis; its twin on the cluster is `<id>-cluster`. */
  targetId: string
  label: string
  /** What is compared, e.g. "req/s" or "DB loads per stampede". */
  metric: string
  standalone: number
  cluster: number
  /** cluster / standalone: for req/s the median of the per-round ratios (paired by round). */
  ratio: number
  /** The same by CPU per request (standalone's / cluster's: below 1 costs more on the cluster). */
  cpuRatio?: number
  detail: string
}

export interface ScenarioResult {
  name: string
  title: string
  description: string
  settings: Record<string, string | number>
  targets: TargetResult[]
  checks: TargetCheck[]
  /** With --topology cluster, for the scenarios it measures on the cluster. */
  comparisons?: TopologyComparison[]
  /** What each service target's consistency monitor found (read-write-mix, consistency-cost). */
  consistency?: ConsistencyFigures[]
  notes: string[]
}

export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryGiB: number
  freeMemoryGiB: number
  platform: string
  kernel: string
  node: string
  redis: string
  loadAverageAtStart: number[]
  loadAverageAtEnd?: number[]
}

export interface BenchResults {
  runId: string
  startedAt: string
  finishedAt: string
  durationS: number
  mode: 'full' | 'quick'
  /** Absent in runs from before --topology: standalone. */
  topology?: 'standalone' | 'cluster'
  command: string
  /** The service measured: the checkout's commit, and whether src/ had uncommitted changes. */
  source: { commit: string; srcDirty: boolean | undefined }
  machine: MachineInfo
  /** With --topology cluster: the cluster the bench started. */
  redisCluster?: { masters: number; replicas: number; redis: string; formedInMs: number }
  scenarios: ScenarioResult[]
  checks: TargetCheck[]
  /** Every scenario's topology comparisons, in order (absent in older runs). */
  comparisons?: TopologyComparison[]
  /** Scenarios that could not run to the end, and why. */
  failures: Array<{ scenario: string; error: string }>
  /** deletedKeys counts both Redis; clusterKeys those deleted on the cluster's masters. */
  cleanup: { deletedKeys: number; clusterKeys?: number; processesLeft: number }
}
