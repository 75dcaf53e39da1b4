import { epochKey, tagsKey, versionKey } from './keys.js'
import type { RedisClient } from './redis/client.js'
import { MasterWatch } from './redis/master-watch.js'
import { RedisEpoch } from './redis/redis-epoch.js'
import { RedisTagStore } from './redis/redis-tag-store.js'
import { RedisVersionStore } from './redis/redis-version-store.js'
import type { RedisGuard } from './redis-guard.js'
import { SharedVersion } from './shared-version.js'
import { TagVersions } from './tag-versions.js'

/**
 * What every instance of one cache must agree on, kept in Redis with a copy here: the key version
 * and the tag versions. Both copies are refreshed on a timer (and by bus messages, by the cache),
 * so reads never pay a round trip for them. The same timer (and every reconnect, through
 * `checkEpoch`) watches Redis's epoch, to notice when Redis has lost its data, and the masters,
 * to notice a failover.
 */
export class SharedState {
  readonly version: SharedVersion
  readonly tags: TagVersions
  readonly #epoch: RedisEpoch
  readonly #guard: RedisGuard
  readonly #onReset: () => void
  readonly #masters: MasterWatch | undefined
  readonly #onFailover: () => Promise<unknown>
  #failoverOwed = false
  readonly #refreshMs: number
  readonly #detectResets: boolean
  #running = false
  #timer: NodeJS.Timeout | undefined

  constructor(
    redis: RedisClient,
    namespace: string,
    guard: RedisGuard,
    options: {
      initialVersion: number
      refreshMs: number
      /** Switched off only to show what they protect against (CacheProtections). */
      protections: { tagFloor: boolean; resetDetection: boolean; failoverDetection: boolean }
      onReset: () => void
      /** A master was replaced (see MasterWatch). */
      onFailover: () => Promise<unknown>
    },
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
    // Without the floor the store is told of no versions: a lost hash counts from 1 again.
    const floor = (known: Readonly<Record<string, number>>) =>
      options.protections.tagFloor ? known : {}
    this.tags = new TagVersions({
      sync: (known) => guard.require('tags', () => tags.sync(floor(known))),
      bump: (names, known) => guard.require('tags', () => tags.bump(names, floor(known))),
    })
    this.#epoch = new RedisEpoch(redis, epochKey(namespace))
    this.#guard = guard
    this.#onReset = options.onReset
    this.#masters = options.protections.failoverDetection ? new MasterWatch(redis) : undefined
    this.#onFailover = options.onFailover
    this.#refreshMs = options.refreshMs
    this.#detectResets = options.protections.resetDetection
  }

  /** Reads (or creates) all three and keeps them fresh. Never throws. */
  async start(): Promise<void> {
    this.#running = true
    this.#masters?.replaced() // the masters as they are now
    await this.checkEpoch()
    await this.version.start()
    await this.#refreshTags()
  }

  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.version.stop()
  }

  /**
   * Has Redis lost its data since the last look? Then the cache is told (it drops what this
   * instance holds), and the versions are raised again at once from this instance's copies.
   * Never throws: a Redis that does not answer is looked at again on the next tick.
   */
  async checkEpoch(): Promise<void> {
    if (!this.#detectResets) return
    let changed: boolean
    try {
      changed = await this.#guard.require('version', () => this.#epoch.changed())
    } catch {
      return // reported by the guard
    }
    if (!changed) return
    this.#onReset()
    await Promise.all([this.version.refresh(), this.tags.refresh().catch(() => {})])
  }

  async #refreshTags(): Promise<void> {
    await this.tags.refresh().catch(() => {}) // reported by the guard; retried on the timer
    if (!this.#running) return
    this.#timer = setTimeout(() => void this.#tick(), this.#refreshMs)
    this.#timer.unref()
  }

  /**
   * Was a master replaced since the last look? Then the cache is told, and told again on every
   * tick until its handler succeeds (the new master may not answer yet). Never throws.
   */
  async checkMasters(): Promise<void> {
    if (this.#masters?.replaced()) this.#failoverOwed = true
    if (!this.#failoverOwed) return
    try {
      await this.#onFailover()
      this.#failoverOwed = false
    } catch {
      // reported by the guard; tried again on the next tick
    }
  }

  async #tick(): Promise<void> {
    await this.checkMasters()
    await this.checkEpoch()
    await this.#refreshTags()
  }
}
