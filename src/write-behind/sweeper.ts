/** How often a worker checks that every pending write has a job that will run. */
export const SWEEP_INTERVAL_MS = 30_000

/**
 * Sweeps now, then every `intervalMs`, one sweep at a time, until stopped. The first sweep
 * covers an API that died between staging a write and queueing its job; the later ones, a
 * job that gave up while the database was down.
 */
export function startSweeping(
  sweep: () => Promise<number>,
  {
    intervalMs = SWEEP_INTERVAL_MS,
    onError,
  }: { intervalMs?: number; onError(error: unknown): void },
): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  const run = () => {
    running = sweep()
      .then(
        () => undefined,
        (error: unknown) => onError(error),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(run, intervalMs)
      })
  }
  run()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
