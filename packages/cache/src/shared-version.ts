/**
 * Where the shared key version lives (Redis today). Both calls raise the stored version to at
 * least the caller's copy first, so a version key lost with a Redis restart is re-created from
 * what the instances know instead of starting over from 1.
 */
export interface VersionStore {
  /** Answers the shared version, raising it to `atLeast` if it is lower or missing. */
  sync(atLeast: number): Promise<number>
  /** Raises the shared version to `atLeast` if lower or missing, then increments it; answers the new one. */
  bump(atLeast: number): Promise<number>
}

/**
 * This instance's copy of the shared key version, so a read needs no extra round trip.
 * Refreshed every `refreshMs`; it only ever moves forward, so a slow refresh answering an old
 * version cannot undo a bump that landed meanwhile.
 */
export class SharedVersion {
  readonly #store: VersionStore
  readonly #refreshMs: number
  readonly #onError: (error: unknown) => void
  #current: number
  #confirmed = false
  #lastError: unknown
  #refreshing: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #running = false

  constructor(options: {
    store: VersionStore
    initial: number
    refreshMs: number
    onError: (error: unknown) => void
  }) {
    this.#store = options.store
    this.#current = options.initial
    this.#refreshMs = options.refreshMs
    this.#onError = options.onError
  }

  get current(): number {
    return this.#current
  }

  /** False until the store has answered once: until then the copy may be behind every other instance. */
  get confirmed(): boolean {
    return this.#confirmed
  }

  /** Syncs once (failures are reported, not thrown) and keeps syncing in the background. */
  async start(): Promise<void> {
    if (this.#running) return
    this.#running = true
    await this.refresh()
    this.#scheduleRefresh()
  }

  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    await this.#refreshing
  }

  /** One sync at a time; concurrent callers share it. Never rejects on a store failure. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#sync().finally(() => {
      this.#refreshing = undefined
    })
    return this.#refreshing
  }

  /** Rejects (after reporting) when the store is unreachable: the caller's invalidation did not happen. */
  async bump(): Promise<number> {
    let bumped: number
    try {
      bumped = await this.#store.bump(this.#current)
    } catch (error) {
      this.#onError(error)
      throw error
    }
    this.#adopt(bumped)
    return bumped
  }

  /**
   * The version to write or delete under. An unconfirmed copy may be behind, and deleting under
   * an old version would leave the real entry in place; so confirm first, or reject.
   */
  async confirmedVersion(): Promise<number> {
    if (!this.#confirmed) await this.refresh()
    if (!this.#confirmed) {
      throw new Error('The shared cache key version is unknown: its store is unreachable', {
        cause: this.#lastError,
      })
    }
    return this.#current
  }

  /** Takes a version another instance announced (over the bus); never goes back. */
  observe(version: number): void {
    this.#current = Math.max(this.#current, version)
  }

  async #sync(): Promise<void> {
    try {
      this.#adopt(await this.#store.sync(this.#current))
    } catch (error) {
      this.#lastError = error
      this.#onError(error)
    }
  }

  #adopt(version: number): void {
    this.#current = Math.max(this.#current, version)
    this.#confirmed = true
  }

  #scheduleRefresh(): void {
    if (!this.#running) return
    this.#timer = setTimeout(() => {
      // A throwing observer must not become an unhandled rejection in a timer nobody awaits.
      this.refresh()
        .catch(() => {})
        .finally(() => this.#scheduleRefresh())
    }, this.#refreshMs)
    this.#timer.unref()
  }
}
