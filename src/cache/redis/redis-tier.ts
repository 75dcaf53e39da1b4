import { decodeEntry, type Entry, encodeEntry } from '../entry.js'
import type { TierDriver } from '../tier-driver.js'
import type { RedisClient } from './client.js'

/** The shared tier: one Redis string per entry, JSON-encoded, expiring by itself. */
export class RedisTier implements TierDriver {
  readonly tier = 'l2'
  readonly #redis: RedisClient

  constructor(redis: RedisClient) {
    this.#redis = redis
  }

  async get(key: string): Promise<Entry<unknown> | undefined> {
    const raw = await this.#redis.get(key)
    return raw === null ? undefined : decodeEntry(raw)
  }

  async set(key: string, entry: Entry<unknown>, ttlMs: number): Promise<void> {
    // Value and TTL in one command: there is never an entry without an expiry.
    await this.#redis.set(key, encodeEntry(entry), 'PX', ttlMs)
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(key)
  }
}
