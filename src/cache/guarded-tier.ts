import type { Entry } from './entry.js'
import type { TierDriver } from './tier-driver.js'
import type { CacheOperation } from './types.js'

export type TierRead =
  | { ok: true; entry: Entry<unknown> | undefined }
  | { ok: false; error: unknown }

/**
 * The failure policy around a tier, in one place: every failure is reported, then
 * - reads and fills the cache does on its own behalf never throw (a failed read is a miss);
 * - writes and deletes a caller asked for reject too, since an invalidation that silently did
 *   not happen would serve stale data until the TTL; the caller can retry it.
 * Timeouts come from the client (`commandTimeout`), so a hung Redis is a failure like any other.
 * A circuit breaker will live here too.
 */
export class GuardedTier {
  readonly #driver: TierDriver
  readonly #report: (operation: CacheOperation, error: unknown) => void

  constructor(driver: TierDriver, report: (operation: CacheOperation, error: unknown) => void) {
    this.#driver = driver
    this.#report = report
  }

  get tier(): TierDriver['tier'] {
    return this.#driver.tier
  }

  async read(key: string): Promise<TierRead> {
    try {
      return { ok: true, entry: await this.#driver.get(key) }
    } catch (error) {
      this.#report('get', error)
      return { ok: false, error }
    }
  }

  /** Best effort: answers whether the entry was stored. */
  async fill(key: string, entry: Entry<unknown>, ttlMs: number): Promise<boolean> {
    try {
      await this.#driver.set(key, entry, ttlMs)
      return true
    } catch (error) {
      this.#report('set', error)
      return false
    }
  }

  async write(key: string, entry: Entry<unknown>, ttlMs: number): Promise<void> {
    try {
      await this.#driver.set(key, entry, ttlMs)
    } catch (error) {
      this.#report('set', error)
      throw error
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.#driver.delete(key)
    } catch (error) {
      this.#report('delete', error)
      throw error
    }
  }
}
