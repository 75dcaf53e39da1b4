import { setTimeout as sleep } from 'node:timers/promises'

const FIRST_PAUSE_MS = 50
const MAX_PAUSE_MS = 2000

/**
 * Invalidations Redis did not take (a stall, a restart, a partition), tried again in the
 * background, oldest first, until they land. The caller was told the invalidation failed, but
 * the old entry must not outlive the write by a whole TTL once Redis answers again. One task per
 * id (a later one replaces an earlier one), at most `limit`: past it the oldest is given up on.
 */
export class InvalidationRetries {
  readonly #tasks = new Map<string, () => Promise<void>>()
  readonly #limit: number
  readonly #onGiveUp: (id: string) => void
  #draining: Promise<void> | undefined
  #closed = false

  constructor(options: { limit?: number; onGiveUp?: (id: string) => void } = {}) {
    this.#limit = options.limit ?? 10_000
    this.#onGiveUp = options.onGiveUp ?? (() => {})
  }

  /** How many invalidations wait for Redis. */
  get size(): number {
    return this.#tasks.size
  }

  add(id: string, task: () => Promise<void>): void {
    if (this.#closed) return
    this.#tasks.delete(id)
    this.#tasks.set(id, task)
    for (const oldest of this.#tasks.keys()) {
      if (this.#tasks.size <= this.#limit) break
      this.#tasks.delete(oldest)
      this.#onGiveUp(oldest)
    }
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined
    })
  }

  /** Resolves once every task landed, or after close(). For tests and shutdown. */
  async settled(): Promise<void> {
    while (this.#draining) await this.#draining
  }

  close(): void {
    this.#closed = true
    this.#tasks.clear()
  }

  async #drain(): Promise<void> {
    let pauseMs = FIRST_PAUSE_MS
    for (;;) {
      const next = this.#tasks.entries().next()
      if (next.done || this.#closed) return
      const [id, task] = next.value
      try {
        await task()
        if (this.#tasks.get(id) === task) this.#tasks.delete(id)
        pauseMs = FIRST_PAUSE_MS
      } catch {
        // Reported by the guard that ran it; wait before asking a struggling Redis again.
        await sleep(pauseMs, undefined, { ref: false })
        pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2)
      }
    }
  }
}
