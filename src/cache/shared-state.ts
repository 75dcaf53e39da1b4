import type { Redis } from 'ioredis'
import { tagsKey, versionKey } from './keys.js'
import { RedisTagStore } from './redis/redis-tag-store.js'
import { RedisVersionStore } from './redis/redis-version-store.js'
import type { RedisGuard } from './redis-guard.js'
import { SharedVersion } from './shared-version.js'
import { TagVersions } from './tag-versions.js'

/**
 * What every instance of one cache must agree on, kept in Redis with a copy here: the key version
 * and the tag versions. Both copies are refreshed on a timer (and by bus messages, by the cache),
 * so reads never pay a round trip for them.
 */
export class SharedState {
  readonly version: SharedVersion
  readonly tags: TagVersions
  readonly #refreshMs: number
  #running = false
  #tagTimer: NodeJS.Timeout | undefined

  constructor(
    redis: Redis,
    namespace: string,
    guard: RedisGuard,
    options: { initialVersion: number; refreshMs: number },
  ) {
    const versions = new RedisVersionStore(redis, versionKey(namespace))
    this.version = new SharedVersion({
      store: {
        sync: (atLeast) => guard.require('version', () => versions.sync(atLeast)),
        bump: (atLeast) => guard.require('version', () => versions.bump(atLeast)),
      },
      initial: options.initialVersion,
      refreshMs: options.refreshMs,
      onError: () => {}, // the guard has reported it
    })
    const tags = new RedisTagStore(redis, tagsKey(namespace))
    this.tags = new TagVersions({
      load: () => guard.require('tags', () => tags.load()),
      bump: (names) => guard.require('tags', () => tags.bump(names)),
    })
    this.#refreshMs = options.refreshMs
  }

  /** Reads (or creates) both and keeps them fresh. Never throws. */
  async start(): Promise<void> {
    this.#running = true
    await this.version.start()
    await this.#refreshTags()
  }

  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#tagTimer)
    this.#tagTimer = undefined
    await this.version.stop()
  }

  async #refreshTags(): Promise<void> {
    await this.tags.refresh().catch(() => {}) // reported by the guard; retried on the timer
    if (!this.#running) return
    this.#tagTimer = setTimeout(() => void this.#refreshTags(), this.#refreshMs)
    this.#tagTimer.unref()
  }
}
