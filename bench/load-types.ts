/** The shapes the load generators (autocannon for sustained load, burst.ts) share. */

/** One request as the load generator should send it. */
export interface RequestShape {
  method: 'GET' | 'PATCH'
  path: string
  body?: string
  headers?: Record<string, string>
}

/** What happened in one slice of the run, for the timeline charts. */
export interface TimelineBin {
  startMs: number
  responses: number
  errors: number
  maxLatencyMs: number
}

export interface LoadRun {
  elapsedMs: number
  responses: number
  /** Responses with a status outside 2xx. */
  non2xx: number
  /** Socket errors and timeouts: requests that got no response at all. */
  socketErrors: number
  timeouts: number
  statusCodes: Record<string, number>
  /** Latency of every response, in milliseconds (sub-millisecond resolution). */
  latencies: Float64Array
  timeline: TimelineBin[]
  /** When each scheduled action actually ran, relative to the start. */
  events: Array<{ atMs: number; label: string }>
  /** With LoadPlan.splitBy: the latencies of the responses, by that header's value. */
  split?: Record<string, number[]>
}
