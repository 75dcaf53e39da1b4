import type { VersionStore } from '../shared-version.js'
import type { RedisClient } from './client.js'
import { coreScript, defineScript, type ScriptCall } from './scripts.js'

const raiseVersion = coreScript('raise-version.lua', {
  name: 'cacheRaiseVersion',
  numberOfKeys: 1,
})

/** The shared key version in one Redis string key, moved only by raise-version.lua. */
export class RedisVersionStore implements VersionStore {
  readonly #key: string
  readonly #raise: ScriptCall

  constructor(redis: RedisClient, key: string) {
    this.#key = key
    this.#raise = defineScript(redis, raiseVersion)
  }

  sync(atLeast: number): Promise<number> {
    return this.#call(atLeast, 0)
  }

  bump(atLeast: number): Promise<number> {
    return this.#call(atLeast, 1)
  }

  async #call(atLeast: number, increment: 0 | 1): Promise<number> {
    const version = await this.#raise([this.#key], [atLeast, increment])
    if (typeof version !== 'number') {
      throw new TypeError(`raise-version.lua answered ${String(version)} for ${this.#key}`)
    }
    return version
  }
}
