import type { Server } from 'node:http'
import { DEFAULT_RETRY_AFTER_SECONDS } from '../errors.js'

/**
 * Runs `close` once on SIGTERM or SIGINT, bounded by `timeoutMs`; a second signal, or running
 * out of time, exits at once. The process exits 0 after a clean close, 1 otherwise.
 */
export function onShutdownSignal(
  close: (signal: NodeJS.Signals) => Promise<void>,
  options: { timeoutMs: number; log: (message: string) => void },
) {
  let closing = false
  const handle = (signal: NodeJS.Signals) => {
    if (closing) {
      options.log(`${signal} again: exiting now`)
      process.exit(1)
    }
    closing = true
    options.log(`${signal}: shutting down (at most ${options.timeoutMs} ms)`)
    const timer = setTimeout(() => {
      options.log('shutdown timed out: exiting now')
      process.exit(1)
    }, options.timeoutMs)
    timer.unref()
    close(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        options.log(`shutdown failed: ${String(error)}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', handle)
  process.on('SIGINT', handle)
}

/**
 * From `closing()` on, every request that reaches `server` is answered with a Retry-After.
 * Fastify answers what reaches a closing server (the drain: app.ts) with a 503 of its own, before
 * any hook runs and without one; its writeHead merges the header set here, as Node merges any
 * header set before it. Only while closing: the answers before that are untouched (and on an
 * answer other than a 503, as a request already routed may still get, it means nothing).
 */
export function retryAfterWhileClosing(server: Server): () => void {
  let closing = false
  server.prependListener('request', (_request, response) => {
    if (closing) response.setHeader('retry-after', String(DEFAULT_RETRY_AFTER_SECONDS))
  })
  return () => {
    closing = true
  }
}
