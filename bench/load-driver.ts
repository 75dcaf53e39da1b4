import autocannon, { type RequestData, type RequestOptions } from 'autocannon'
import { sendBurst } from './burst.js'
import type { LoadRun, RequestShape, TimelineBin } from './load-types.js'

export type { LoadRun, RequestShape, TimelineBin } from './load-types.js'

export interface LoadPlan {
  connections: number
  /** How long to drive load. Ignored for a burst, which ends with its last response. */
  durationMs: number
  /** A fixed request, or a function called for every request (Zipf ids, a read/write mix). */
  request: RequestShape | (() => RequestShape)
  /**
   * `connections` requests at once, on sockets connected beforehand (see burst.ts), instead of
   * sustained load: the stampede.
   */
  burst?: boolean
  /** Things to do at a time after the start, e.g. kill Redis at 2 s; awaited before returning. */
  schedule?: ReadonlyArray<{ atMs: number; label: string; action: () => Promise<void> }>
  /**
   * A response header (lower case, e.g. `x-cache`) whose value splits the latencies: how long
   * did the MISSes take, how many were there. Costs the load generator a little per response.
   */
  splitBy?: string
  /** Called about 4 times a second while the load runs. */
  onProgress?: (elapsedMs: number, responses: number) => void
}

export const TIMELINE_BIN_MS = 250
/** Latency samples kept per run at most (8 bytes each): far above what 2 cores can answer. */
const MAX_SAMPLES = 20_000_000
/** A request with no answer after this counts as a timeout (an error). */
const REQUEST_TIMEOUT_S = 10

/**
 * Drives HTTP load at one or several base URLs (connections are spread over them) with
 * autocannon, and records every response's latency itself: autocannon's own histogram has a
 * resolution of 1 ms, too coarse for sub-millisecond cache hits.
 */
export async function driveLoad(urls: readonly string[], plan: LoadPlan): Promise<LoadRun> {
  if (plan.burst) {
    const request = typeof plan.request === 'function' ? plan.request() : plan.request
    return sendBurst(urls, plan.connections, request)
  }
  let latencies = new Float64Array(1 << 16)
  let responses = 0
  const tally = new ResponseTally()
  const events: LoadRun['events'] = []
  const split: Record<string, number[]> = {}
  // autocannon hands a response's headers to the request's onResponse, then (synchronously,
  // same client) emits 'response' with its latency: the header value waits here in between.
  let lastSplitValue = ''
  const onHeaders = plan.splitBy
    ? (headers: Record<string, string | string[]>) => {
        const value = headerValue(headers, plan.splitBy as string)
        lastSplitValue = value ?? '(none)'
      }
    : undefined
  let startedAt = performance.now()

  const instance = autocannon(
    {
      url: [...urls],
      connections: plan.connections,
      duration: plan.durationMs / 1000,
      pipelining: 1,
      timeout: REQUEST_TIMEOUT_S,
      // autocannon notices the end of the duration only on a sample tick: tick often.
      sampleInt: 50,
      skipAggregateResult: true,
      requests: [toAutocannonRequest(plan.request, onHeaders)],
    },
    () => {}, // the result is taken from the 'done' event below
  )

  instance.on('start', () => {
    startedAt = performance.now()
  })
  instance.on(
    'response',
    (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (responses === latencies.length && latencies.length < MAX_SAMPLES) {
        const grown = new Float64Array(Math.min(MAX_SAMPLES, latencies.length * 2))
        grown.set(latencies)
        latencies = grown
      }
      if (responses < latencies.length) latencies[responses] = responseTimeMs
      responses++
      if (onHeaders) {
        let values = split[lastSplitValue]
        if (!values) {
          values = []
          split[lastSplitValue] = values
        }
        values.push(responseTimeMs)
        lastSplitValue = '(none)'
      }
      tally.answered(performance.now() - startedAt, statusCode, responseTimeMs)
    },
  )
  instance.on('reqError', () => tally.failed(performance.now() - startedAt))

  const timers: NodeJS.Timeout[] = []
  const scheduled: Array<Promise<void>> = []
  for (const step of plan.schedule ?? []) {
    scheduled.push(
      new Promise((resolve, reject) => {
        timers.push(
          setTimeout(() => {
            events.push({ atMs: performance.now() - startedAt, label: step.label })
            step.action().then(resolve, reject)
          }, step.atMs),
        )
      }),
    )
  }
  const progress = setInterval(
    () => plan.onProgress?.(performance.now() - startedAt, responses),
    250,
  )

  try {
    const result = await new Promise<{ errors: number; timeouts: number }>((resolve, reject) => {
      instance.once('done', resolve)
      instance.once('error', reject)
    })
    const elapsedMs = performance.now() - startedAt
    await Promise.all(scheduled)
    return {
      elapsedMs,
      responses,
      non2xx: tally.non2xx,
      socketErrors: result.errors - result.timeouts,
      timeouts: result.timeouts,
      statusCodes: tally.statusCodes,
      latencies: latencies.subarray(0, Math.min(responses, latencies.length)),
      timeline: tally.timeline,
      events,
      ...(onHeaders ? { split } : {}),
    }
  } finally {
    clearInterval(progress)
    for (const timer of timers) clearTimeout(timer)
    instance.stop()
  }
}

/** What the answers of a run add up to: counts by status, and a timeline of bins. */
export class ResponseTally {
  non2xx = 0
  readonly statusCodes: Record<string, number> = {}
  readonly timeline: TimelineBin[] = []

  /** An answer with `statusCode` after `latencyMs`, `elapsedMs` into the run. */
  answered(elapsedMs: number, statusCode: number, latencyMs: number): void {
    const ok = statusCode >= 200 && statusCode < 300
    if (!ok) this.non2xx++
    this.statusCodes[statusCode] = (this.statusCodes[statusCode] ?? 0) + 1
    const bin = this.#binAt(elapsedMs)
    bin.responses++
    if (!ok) bin.errors++
    if (latencyMs > bin.maxLatencyMs) bin.maxLatencyMs = latencyMs
  }

  /** A request that got no answer (a socket error), `elapsedMs` into the run. */
  failed(elapsedMs: number): void {
    this.#binAt(elapsedMs).errors++
  }

  /** The bin a moment of the run falls in, made as needed. */
  #binAt(elapsedMs: number): TimelineBin {
    const index = Math.max(0, Math.floor(elapsedMs / TIMELINE_BIN_MS))
    while (this.timeline.length <= index) {
      this.timeline.push({
        startMs: this.timeline.length * TIMELINE_BIN_MS,
        responses: 0,
        errors: 0,
        maxLatencyMs: 0,
      })
    }
    return this.timeline[index] as TimelineBin
  }
}

function toAutocannonRequest(
  request: LoadPlan['request'],
  onHeaders: ((headers: Record<string, string | string[]>) => void) | undefined,
): RequestOptions {
  const onResponse = onHeaders
    ? {
        onResponse: (
          _status: number,
          _body: string,
          _context: unknown,
          headers: Record<string, string | string[]>,
        ) => onHeaders(headers),
      }
    : {}
  if (typeof request !== 'function') {
    return {
      method: request.method,
      path: request.path,
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      ...onResponse,
    }
  }
  return {
    setupRequest(data: RequestData) {
      const next = request()
      data.method = next.method
      data.path = next.path
      data.body = next.body
      data.headers = { ...data.headers, ...next.headers }
      return data
    },
    ...onResponse,
  }
}

function headerValue(headers: Record<string, string | string[]>, name: string) {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(',') : value
  }
  return undefined
}
