import { randomUUID } from 'node:crypto'
import { isCluster, type RedisClient } from './client.js'
import { coreScript, defineScript, type ScriptCall } from './scripts.js'

const acquireScript = coreScript('acquire.lua', { name: 'cacheAcquireMany', numberOfKeys: 'any' })
const fillScript = coreScript('fill.lua', { name: 'cacheFillMany', numberOfKeys: 'any' })
const invalidateScript = coreScript('invalidate.lua', { name: 'cacheInvalidate', numberOfKeys: 3 })
const releaseScript = coreScript('release.lua', { name: 'cacheRelease', numberOfKeys: 1 })
const setScript = coreScript('set.lua', { name: 'cacheSet', numberOfKeys: 3 })

/**
 * An entry's companions are tagged with the entry key itself: Redis Cluster hashes only what is
 * inside `{…}`, so `{product:v1:42}:gen` lands in the slot of `product:v1:42`, and one script
 * may touch all three.
 */
export const generationKey = (key: string) => `{${key}}:gen`
export const leaseKey = (key: string) => `{${key}}:lease`
const keysOf = (key: string) => [key, generationKey(key), leaseKey(key)]

export type LeaseMode = 'absent' | 'always'

/** One fenced fill: the entry, its lifetime, and the generation and lease token its load saw. */
export interface Fill {
  key: string
  raw: string
  ttlMs: number
  generation: string
  token: string
}

export interface Acquired {
  /** The entry as stored, if any. */
  raw: string | undefined
  /** The entry's generation now; a fill must present it (fencing). */
  generation: string
  /** Whether this caller holds the key's lease: the one loader cluster-wide. */
  leased: boolean
}

/** Leases and fenced fills over Redis: one loader per key, and no stale sets. */
export class RedisCoordinator {
  readonly #redis: RedisClient
  readonly #acquire: ScriptCall
  readonly #fill: ScriptCall
  readonly #invalidate: ScriptCall
  readonly #release: ScriptCall
  readonly #set: ScriptCall
  /** '1': generations are random and a vanished one fences (acquire.lua); '0': a counter. */
  readonly #unique: '0' | '1'

  /** `uniqueGenerations: false` only to show what they protect against (CacheProtections). */
  constructor(
    redis: RedisClient,
    { uniqueGenerations = true }: { uniqueGenerations?: boolean } = {},
  ) {
    this.#redis = redis
    this.#unique = uniqueGenerations ? '1' : '0'
    this.#acquire = defineScript(redis, acquireScript)
    this.#fill = defineScript(redis, fillScript)
    this.#invalidate = defineScript(redis, invalidateScript)
    this.#release = defineScript(redis, releaseScript)
    this.#set = defineScript(redis, setScript)
  }

  async read(key: string): Promise<string | undefined> {
    return (await this.#redis.get(key)) ?? undefined
  }

  /**
   * Several entries in one round trip: one MGET on a single Redis; on a Cluster, where one
   * command may not span slots, a GET per key sent together (ioredis routes each to its node).
   */
  async readMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    const replies = isCluster(this.#redis)
      ? await Promise.all(keys.map((key) => this.#redis.get(key)))
      : await this.#redis.mget(...keys)
    return replies.map((raw) => raw ?? undefined)
  }

  /** `generationTtlMs`: how long a generation created for a key that had none lives. */
  async acquire(
    key: string,
    token: string,
    leaseMs: number,
    mode: LeaseMode,
    generationTtlMs: number,
  ): Promise<Acquired> {
    const [acquired] = await this.acquireMany([key], token, leaseMs, mode, generationTtlMs)
    return acquired as Acquired
  }

  /**
   * `acquire` for several keys, under one token: one script call on a single Redis; on a
   * Cluster one per key (an entry's triple shares a slot, two entries rarely do), sent together.
   */
  async acquireMany(
    keys: readonly string[],
    token: string,
    leaseMs: number,
    mode: LeaseMode,
    generationTtlMs: number,
  ): Promise<Acquired[]> {
    const args = [token, leaseMs, mode, generationTtlMs, this.#unique]
    const groups = isCluster(this.#redis) ? keys.map((key) => [key]) : [keys]
    const replies = await Promise.all(
      groups.map(async (group) => {
        const reply = await this.#acquire(group.flatMap(keysOf), args)
        if (!Array.isArray(reply) || reply.length !== group.length * 3) {
          throw new TypeError(`acquire.lua answered ${JSON.stringify(reply)} for ${group}`)
        }
        return group.map((_, i) => acquiredFrom(reply.slice(i * 3, i * 3 + 3)))
      }),
    )
    return replies.flat()
  }

  /** Answers false when the fill was fenced: an invalidation overtook the load. */
  async fill(
    key: string,
    raw: string,
    ttlMs: number,
    generation: string,
    token: string,
  ): Promise<boolean> {
    const [stored] = await this.fillMany([{ key, raw, ttlMs, generation, token }])
    return stored === true
  }

  /**
   * `fill` for several entries: one script call on a single Redis; on a Cluster one per key,
   * sent together (as acquireMany). Answers, per fill, whether it was stored.
   */
  async fillMany(fills: readonly Fill[]): Promise<boolean[]> {
    const groups = isCluster(this.#redis) ? fills.map((fill) => [fill]) : [fills]
    const replies = await Promise.all(
      groups.map(async (group) => {
        const args = [
          this.#unique,
          ...group.flatMap((f) => [f.raw, f.ttlMs, f.generation, f.token]),
        ]
        const reply = await this.#fill(
          group.flatMap((fill) => keysOf(fill.key)),
          args,
        )
        if (!Array.isArray(reply) || reply.length !== group.length) {
          throw new TypeError(`fill.lua answered ${JSON.stringify(reply)}`)
        }
        return reply.map((stored) => stored === 1)
      }),
    )
    return replies.flat()
  }

  async release(key: string, token: string): Promise<void> {
    await this.#release([leaseKey(key)], [token])
  }

  /** Calls for several keys go out together on the one connection: one round trip. */
  async invalidate(keys: readonly string[], generationTtlMs: number): Promise<void> {
    const generation = randomUUID()
    await Promise.all(
      keys.map((key) => this.#invalidate(keysOf(key), [generationTtlMs, generation, this.#unique])),
    )
  }

  /** Stores a value the application wrote, fencing the loads under way (set.lua). */
  async set(key: string, raw: string, ttlMs: number, generationTtlMs: number): Promise<void> {
    await this.#set(keysOf(key), [raw, ttlMs, generationTtlMs, randomUUID(), this.#unique])
  }
}

function acquiredFrom([raw, generation, leased]: unknown[]): Acquired {
  return {
    raw: typeof raw === 'string' ? raw : undefined,
    generation: String(generation),
    leased: leased === 1,
  }
}
