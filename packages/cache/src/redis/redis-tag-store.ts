import type { TagStore } from '../tag-versions.js'
import type { RedisClient } from './client.js'
import { coreScript, defineScript, type ScriptCall } from './scripts.js'

const raiseTags = coreScript('raise-tags.lua', { name: 'cacheRaiseTags', numberOfKeys: 1 })

/**
 * Tag versions in one Redis hash, `${keyPrefix}${name}:tags`: tag → version, moved only by
 * raise-tags.lua, which first raises each version to the caller's copy (so a hash Redis lost
 * is re-created from what the instances know instead of counting from 1 again).
 */
export class RedisTagStore implements TagStore {
  readonly #key: string
  readonly #raise: ScriptCall

  constructor(redis: RedisClient, key: string) {
    this.#key = key
    this.#raise = defineScript(redis, raiseTags)
  }

  async sync(known: Readonly<Record<string, number>>): Promise<Record<string, number>> {
    return this.#call('0', known)
  }

  async bump(
    tags: readonly string[],
    known: Readonly<Record<string, number>>,
  ): Promise<Record<string, number>> {
    return this.#call('1', Object.fromEntries(tags.map((tag) => [tag, known[tag] ?? 0])))
  }

  async #call(move: '0' | '1', versions: Readonly<Record<string, number>>) {
    const reply = await this.#raise([this.#key], [move, ...Object.entries(versions).flat()])
    if (!Array.isArray(reply)) {
      throw new TypeError(`raise-tags.lua answered ${String(reply)} for ${this.#key}`)
    }
    const stored: Record<string, number> = {}
    for (let index = 0; index + 1 < reply.length; index += 2) {
      const version = Number(reply[index + 1])
      if (Number.isSafeInteger(version)) stored[String(reply[index])] = version
    }
    return stored
  }
}
