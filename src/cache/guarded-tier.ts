import type { Entry } from './entry.js'
import type { Attempt, RedisGuard } from './redis-guard.js'
import type { TierDriver } from './tier-driver.js'

/**
 * A tier behind the failure policy of a RedisGuard: a read or fill never throws (a failed read
 * is a miss), while a removal a caller asked for rejects so it can be retried.
 */
export class GuardedTier {
  readonly #driver: TierDriver
  readonly #guard: RedisGuard

  constructor(driver: TierDriver, guard: RedisGuard) {
    this.#driver = driver
    this.#guard = guard
  }

  read(key: string): Promise<Attempt<Entry<unknown> | undefined>> {
    return this.#guard.attempt('get', () => this.#driver.get(key))
  }

  /** Best effort: answers whether the entry was stored. */
  async fill(key: string, entry: Entry<unknown>, ttlMs: number): Promise<boolean> {
    return (await this.#guard.attempt('set', () => this.#driver.set(key, entry, ttlMs))).ok
  }

  remove(key: string): Promise<void> {
    return this.#guard.require('delete', () => this.#driver.delete(key))
  }
}
