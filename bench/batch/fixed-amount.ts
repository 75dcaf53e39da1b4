import autocannon, { type Options, type RequestData } from 'autocannon'
import { subtractCounters } from '../cache-counters.js'
import type { BenchContext } from '../context.js'
import { ResponseTally } from '../load-driver.js'
import type { LoadRun, RequestShape } from '../load-types.js'
import { measurementOf } from '../measure-run.js'
import type { RunMeasurement } from '../results.js'
import type { RunningTarget } from '../targets.js'

export interface AmountPlan {
  connections: number
  /** Requests to send in all, spread over the connections; the run ends with the last answer. */
  amount: number
  request: () => RequestShape
  onProgress?: (elapsedMs: number, responses: number) => void
}

const REQUEST_TIMEOUT_S = 10

/**
 * A fixed amount of work instead of a fixed time (autocannon's `amount`): the same requests,
 * however long they take. What a cold run needs, so that both ways read the same products from
 * an empty cache. More connections than requests are cut down to one per request.
 */
export async function driveAmount(urls: readonly string[], plan: AmountPlan): Promise<LoadRun> {
  if (!(Number.isSafeInteger(plan.amount) && plan.amount >= 1)) {
    throw new RangeError(`amount must be a whole number >= 1: ${plan.amount}`)
  }
  const latencies = new Float64Array(plan.amount)
  let responses = 0
  const tally = new ResponseTally()
  let startedAt = performance.now()

  // bench/autocannon.d.ts types only what the time-bound driver uses; `amount` is autocannon 8's.
  const options: Options & { amount: number } = {
    url: [...urls],
    connections: Math.min(plan.connections, plan.amount),
    amount: plan.amount,
    pipelining: 1,
    timeout: REQUEST_TIMEOUT_S,
    sampleInt: 50,
    skipAggregateResult: true,
    requests: [
      {
        setupRequest(data: RequestData) {
          const next = plan.request()
          data.method = next.method
          data.path = next.path
          return data
        },
      },
    ],
  }
  const instance = autocannon(options, () => {})
  instance.on('start', () => {
    startedAt = performance.now()
  })
  instance.on(
    'response',
    (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (responses < latencies.length) latencies[responses] = responseTimeMs
      responses++
      tally.answered(performance.now() - startedAt, statusCode, responseTimeMs)
    },
  )
  instance.on('reqError', () => tally.failed(performance.now() - startedAt))
  const progress = setInterval(
    () => plan.onProgress?.(performance.now() - startedAt, responses),
    250,
  )
  try {
    const result = await new Promise<{ errors: number; timeouts: number }>((resolve, reject) => {
      instance.once('done', resolve)
      instance.once('error', reject)
    })
    return {
      elapsedMs: performance.now() - startedAt,
      responses,
      non2xx: tally.non2xx,
      socketErrors: result.errors - result.timeouts,
      timeouts: result.timeouts,
      statusCodes: tally.statusCodes,
      latencies: latencies.subarray(0, Math.min(responses, latencies.length)),
      timeline: tally.timeline,
      events: [],
    }
  } finally {
    clearInterval(progress)
    instance.stop()
  }
}

/**
 * measureRun (bench/measure-run.ts) for a fixed amount of requests: the target's counters and
 * CPU before and after, the load in between, the same RunMeasurement.
 */
export async function measureAmount(
  context: BenchContext,
  target: RunningTarget,
  plan: Omit<AmountPlan, 'onProgress'>,
  round: number,
  label: string,
): Promise<RunMeasurement> {
  const before = await target.counters()
  const cpuBefore = await target.cpuMs()
  context.progress.runStarted(label, 0)
  const run = await driveAmount(target.urls, {
    ...plan,
    onProgress: (elapsedMs, responses) => context.progress.runProgress(elapsedMs, responses),
  })
  const serverCpuMs = (await target.cpuMs()) - cpuBefore
  const counters = subtractCounters(await target.counters(), before)
  const measurement = measurementOf(round, run, serverCpuMs, counters, counters.loads)
  context.progress.runFinished(
    `${run.responses} responses in ${run.elapsedMs.toFixed(0)} ms, ` +
      `p50 ${measurement.latency.p50.toFixed(2)} ms, ${measurement.errors} errors, ` +
      `${counters.loads} keys loaded`,
  )
  return measurement
}
