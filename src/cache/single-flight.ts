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
    const run = start().finally(() => this.#running.delete(key))
    this.#running.set(key, run)
    return run
  }
}
