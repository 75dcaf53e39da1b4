/**
 * At most one run per key in this process: callers that arrive while a run is under way get
 * its promise instead of starting their own (the in-process half of "one loader per key").
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>()

  /** The run under way for `key`, if any. */
  current(key: string): Promise<T> | undefined {
    return this.#running.get(key)
  }

  run(key: string, start: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key)
    if (running) return running
    const run = start().finally(() => {
      // A run forgotten meanwhile must not remove the one that replaced it.
      if (this.#running.get(key) === run) this.#running.delete(key)
    })
    this.#running.set(key, run)
    return run
  }

  /**
   * Stops handing out the runs under way for `keys` (or every key): after an invalidation, a
   * new reader must not join a load that may have read the data before it. The old runs go on
   * for whoever already waits on them (their fills are fenced).
   */
  forget(keys?: readonly string[]): void {
    if (keys === undefined) this.#running.clear()
    else for (const key of keys) this.#running.delete(key)
  }
}
