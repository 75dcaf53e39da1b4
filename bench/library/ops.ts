/**
 * Drives one library call in a loop, in this process, for a fixed time: the in-process
 * counterpart of the load driver (no HTTP). Operations per second, the CPU this process used,
 * and with `timeEach`, each operation's latency.
 */
import { ZERO_COUNTERS } from '../cache-counters.js'
import type { RunMeasurement } from '../results.js'
import { type LatencySummary, summarizeLatencies } from '../stats.js'

export interface OpsPlan {
  durationMs: number
  /** Operations in flight at once: 1 awaits each before the next. */
  concurrency: number
  /**
   * Time every operation (two `performance.now()` calls each: fine for a Redis round trip, too
   * much for an L1 hit of well under a microsecond, which is only counted).
   */
  timeEach: boolean
}

export interface OpsRun {
  operations: number
  errors: number
  elapsedMs: number
  /** User + system CPU of this process during the run. */
  cpuMs: number
  /** Per-operation latencies (ms) when timed; otherwise only `count` and `mean` are known. */
  latency: LatencySummary
}

/** Untimed loops check the clock once per this many operations. */
const CLOCK_EVERY = 256

/**
 * Calls `operation(i)` with i = 0, 1, 2 … (each worker takes every `concurrency`-th index, so
 * the operations in flight are on different keys) until `durationMs` has passed.
 */
export async function runOps(
  operation: (index: number) => Promise<unknown>,
  plan: OpsPlan,
): Promise<OpsRun> {
  const { concurrency, timeEach } = plan
  let operations = 0
  let errors = 0
  let samples = new Float64Array(timeEach ? 1 << 16 : 0)
  let sampled = 0
  const record = (ms: number) => {
    if (sampled === samples.length) {
      const grown = new Float64Array(samples.length * 2)
      grown.set(samples)
      samples = grown
    }
    samples[sampled++] = ms
  }
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const deadline = started + plan.durationMs

  const timedWorker = async (first: number) => {
    for (let index = first; performance.now() < deadline; index += concurrency) {
      const begin = performance.now()
      try {
        await operation(index)
      } catch {
        errors++
      }
      record(performance.now() - begin)
      operations++
    }
  }
  const countedWorker = async (first: number) => {
    let index = first
    do {
      for (let n = 0; n < CLOCK_EVERY; n++, index += concurrency) {
        try {
          await operation(index)
        } catch {
          errors++
        }
      }
      operations += CLOCK_EVERY
    } while (performance.now() < deadline)
  }
  const worker = timeEach ? timedWorker : countedWorker
  await Promise.all(Array.from({ length: concurrency }, (_, first) => worker(first)))

  const elapsedMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const latency = timeEach
    ? summarizeLatencies(samples, sampled)
    : untimedLatency(operations, (elapsedMs * concurrency) / Math.max(1, operations))
  return { operations, errors, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, latency }
}

function untimedLatency(count: number, mean: number): LatencySummary {
  const unknown = Number.NaN
  return { count, mean, p50: unknown, p90: unknown, p99: unknown, p999: unknown, max: unknown }
}

/**
 * One run as the report's RunMeasurement: operations as requests, ops/s as req/s, this
 * process's CPU per operation, loader calls as database loads. What only HTTP has (status
 * codes, sockets, a timeline) stays empty.
 */
export function opsMeasurement(
  round: number,
  run: Pick<OpsRun, 'operations' | 'errors' | 'elapsedMs' | 'cpuMs' | 'latency'>,
  databaseLoads: number,
): RunMeasurement {
  return {
    round,
    elapsedMs: run.elapsedMs,
    requests: run.operations,
    rps: run.elapsedMs > 0 ? (run.operations / run.elapsedMs) * 1000 : 0,
    latency: run.latency,
    slowResponses: 0,
    errors: run.errors,
    non2xx: 0,
    socketErrors: 0,
    timeouts: 0,
    statusCodes: {},
    serverCpuMs: run.cpuMs,
    cpuUsPerRequest: run.operations > 0 ? (run.cpuMs * 1000) / run.operations : Number.NaN,
    counters: ZERO_COUNTERS,
    databaseLoads,
    timeline: [],
    events: [],
  }
}
