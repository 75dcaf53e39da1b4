import type { Redis } from 'ioredis'
import type { TagStore } from '../tag-versions.js'

/** Tag versions in one Redis hash, `${keyPrefix}${name}:tags`: tag → version. */
export class RedisTagStore implements TagStore {
  readonly #redis: Redis
  readonly #key: string

  constructor(redis: Redis, key: string) {
    this.#redis = redis
    this.#key = key
  }

  async load(): Promise<Record<string, number>> {
    const stored = await this.#redis.hgetall(this.#key)
    return Object.fromEntries(
      Object.entries(stored).map(([tag, version]) => [tag, Number(version)]),
    )
  }

  async bump(tags: readonly string[]): Promise<Record<string, number>> {
    const transaction = this.#redis.multi()
    for (const tag of tags) transaction.hincrby(this.#key, tag, 1)
    const results = (await transaction.exec()) ?? []
    return Object.fromEntries(
      tags.map((tag, index) => {
        const [error, version] = results[index] ?? [new Error('no reply')]
        if (error) throw error
        return [tag, Number(version)]
      }),
    )
  }
}
