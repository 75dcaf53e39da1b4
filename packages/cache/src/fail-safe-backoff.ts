/**
 * Remembers keys whose refresh just failed, so a failing database is not asked again for each
 * read of a stale entry: until the backoff ends, the stale value is served without a retry.
 */
export class FailSafeBackoff {
  readonly #until = new Map<string, number>()
  readonly #ms: number
  /** Bounds memory while a whole database is down and every key fails. */
  readonly #maxKeys: number

  constructor(ms: number, maxKeys = 10_000) {
    this.#ms = ms
    this.#maxKeys = maxKeys
  }

  active(key: string, now: number): boolean {
    const until = this.#until.get(key)
    if (until === undefined) return false
    if (now < until) return true
    this.#until.delete(key)
    return false
  }

  start(key: string, now: number): void {
    if (this.#until.size >= this.#maxKeys) this.#until.clear()
    this.#until.set(key, now + this.#ms)
  }
}
