// The part of autocannon 8's API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export interface RequestData {
    method: string
    path: string
    headers: Record<string, string>
    body?: string | Buffer
  }

  export interface RequestOptions {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
    setupRequest?: (request: RequestData, context: Record<string, unknown>) => RequestData
    /** Called with every response of this request, before the 'response' event. */
    onResponse?: (
      status: number,
      body: string,
      context: unknown,
      headers: Record<string, string | string[]>,
    ) => void
  }

  export interface Options {
    url: string | string[]
    connections?: number
    duration?: number
    pipelining?: number
    timeout?: number
    sampleInt?: number
    requests?: RequestOptions[]
    headers?: Record<string, string>
    method?: string
    body?: string
    skipAggregateResult?: boolean
  }

  export interface Result {
    errors: number
    timeouts: number
    non2xx: number
    resets: number
    duration: number
  }

  export interface Instance extends EventEmitter {
    stop(): void
  }

  export default function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): Instance
}
