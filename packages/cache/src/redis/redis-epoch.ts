import { randomUUID } from 'node:crypto'
import type { RedisClient } from './client.js'
import { coreScript, defineScript, type ScriptCall } from './scripts.js'

const epochScript = coreScript('epoch.lua', { name: 'cacheEpoch', numberOfKeys: 1 })

/**
 * A random value written once into Redis and remembered here. Finding another one (or none,
 * which epoch.lua replaces with a new one) means Redis lost its data since: it restarted
 * without persistence, or someone flushed it.
 */
export class RedisEpoch {
  readonly #key: string
  readonly #read: ScriptCall
  #known: string | undefined

  constructor(redis: RedisClient, key: string) {
    this.#key = key
    this.#read = defineScript(redis, epochScript)
  }

  /** Answers true when Redis holds another epoch than the one seen last (never on the first call). */
  async changed(): Promise<boolean> {
    const epoch = await this.#read([this.#key], [randomUUID()])
    if (typeof epoch !== 'string') {
      throw new TypeError(`epoch.lua answered ${String(epoch)} for ${this.#key}`)
    }
    const before = this.#known
    this.#known = epoch
    return before !== undefined && before !== epoch
  }
}
