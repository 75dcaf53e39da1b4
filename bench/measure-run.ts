import { subtractCounters } from './cache-counters.js'
import type { BenchContext } from './context.js'
import { driveLoad, type LoadPlan, type LoadRun } from './load-driver.js'
import { type RunMeasurement, SLOW_RESPONSE_MS } from './results.js'
import { summarizeLatencies } from './stats.js'
import type { RunningTarget } from './targets.js'

/**
 * One run: the target's counters, the load, the counters again. Database loads are the
 * difference of cache_loads_total; with no cache (strategy none) every product read is one.
 */
export async function measureRun(
  context: BenchContext,
  target: RunningTarget,
  plan: Omit<LoadPlan, 'onProgress'>,
  round: number,
  label: string,
): Promise<RunMeasurement> {
  const before = await target.counters()
  const cpuBefore = await target.cpuMs()
  context.progress.runStarted(label, plan.burst ? 0 : plan.durationMs)
  const run = await driveLoad(target.urls, {
    ...plan,
    onProgress: (elapsedMs, responses) => context.progress.runProgress(elapsedMs, responses),
  })
  const serverCpuMs = (await target.cpuMs()) - cpuBefore
  const counters = subtractCounters(await target.counters(), before)
  const databaseLoads =
    target.spec.kind !== 'service'
      ? 0
      : target.spec.strategy === 'none'
        ? counters.productReads
        : counters.loads
  const measurement = measurementOf(round, run, serverCpuMs, counters, databaseLoads)
  if (run.split) {
    measurement.split = Object.fromEntries(
      Object.entries(run.split).map(([value, ms]) => [
        value,
        summarizeLatencies(Float64Array.from(ms)),
      ]),
    )
  }
  context.progress.runFinished(describeRun(measurement))
  return measurement
}

/** A load run, the server's CPU and the counters' differences over it, as one measurement. */
export function measurementOf(
  round: number,
  run: LoadRun,
  serverCpuMs: number,
  counters: RunMeasurement['counters'],
  databaseLoads: number,
): RunMeasurement {
  return {
    round,
    elapsedMs: run.elapsedMs,
    requests: run.responses,
    rps: run.elapsedMs > 0 ? (run.responses / run.elapsedMs) * 1000 : 0,
    latency: summarizeLatencies(run.latencies),
    slowResponses: countAtLeast(run.latencies, SLOW_RESPONSE_MS),
    errors: run.non2xx + run.socketErrors + run.timeouts,
    non2xx: run.non2xx,
    socketErrors: run.socketErrors,
    timeouts: run.timeouts,
    statusCodes: run.statusCodes,
    serverCpuMs,
    cpuUsPerRequest: run.responses > 0 ? (serverCpuMs * 1000) / run.responses : Number.NaN,
    counters,
    databaseLoads,
    timeline: run.timeline,
    events: run.events,
  }
}

function describeRun(run: RunMeasurement): string {
  const rps = Math.round(run.rps).toLocaleString('en-US')
  const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '–')
  return (
    `${rps} req/s, p50 ${ms(run.latency.p50)} ms, p99 ${ms(run.latency.p99)} ms, ` +
    `p99.9 ${ms(run.latency.p999)} ms, ${run.errors} errors, ${run.databaseLoads} db loads, ` +
    `${Number.isFinite(run.cpuUsPerRequest) ? Math.round(run.cpuUsPerRequest) : '–'} µs CPU/req`
  )
}

function countAtLeast(values: Float64Array, threshold: number): number {
  let count = 0
  for (const value of values) if (value >= threshold) count++
  return count
}
