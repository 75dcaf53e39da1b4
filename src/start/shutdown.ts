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
