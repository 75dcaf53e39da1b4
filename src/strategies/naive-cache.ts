import type {
  BatchLoader,
  CacheInspection,
  CacheLookup,
  CacheObserver,
  CacheOptions,
  Loader,
  RedisClient,
  TierOperation,
} from '@caching-strategies/cache'
import { whenReady } from '@caching-strategies/cache'
import type { ReadThroughCache } from './read-through-cache.js'

/**
 * What the demo does, and what most code does: GET; on a miss load and SET with a TTL; DEL on
 * write; a version counter INCRed to drop everything. No L1, no single-flight or lease (N
 * concurrent misses = N loads), no fencing (a slow load can store a value a write has already
 * replaced), no stale-while-revalidate, no circuit breaker. Kept for teaching and for measuring
 * what each protection of the package's Cache buys (`CACHE_STRATEGY=naive`). Same keys and
 * entries as the full strategy; a Redis failure falls through to the loader.
 */
export class NaiveCache<T> implements ReadThroughCache<T> {
  readonly name: string
  readonly #redis: RedisClient
  /** `${keyPrefix}${name}:`, as in the package's keys. */
  readonly #namespace: string
  readonly #ttlMs: number
  readonly #jitter: number
  readonly #refreshMs: number
  readonly #validate: (value: unknown) => boolean
  readonly #observer: CacheObserver
  #version: number
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: CacheOptions<T>) {
    this.name = options.name
    this.#redis = options.redis
    this.#namespace = `${options.keyPrefix ?? ''}${options.name}:`
    this.#ttlMs = (options.ttlSeconds ?? 300) * 1000
    this.#jitter = options.ttlJitter ?? 0.1
    this.#refreshMs = options.versionRefreshMs ?? 500
    this.#validate = options.validate ?? (() => true)
    this.#observer = options.observer ?? {}
    this.#version = options.initialVersion ?? 1
  }

  async start(): Promise<void> {
    await whenReady(this.#redis, 1000)
    await this.#call('version', () => this.#redis.set(this.#versionKey, this.#version, 'NX'))
    await this.#readVersion()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  get version(): number {
    return this.#version
  }

  keyFor(id: string): string {
    return `${this.#namespace}v${this.#version}:${id}`
  }

  getFromMemory(): undefined {
    return undefined // no L1
  }

  async getOrSet(id: string, loader: Loader<T>): Promise<CacheLookup<T>> {
    const key = this.keyFor(id)
    const raw = await this.#timed('get', () => this.#call('get', () => this.#redis.get(key)))
    const hit = this.#hit(raw ?? null)
    if (hit) return hit
    this.#observer.miss?.(this.name)
    this.#observer.load?.(this.name)
    return this.#store(key, await loader())
  }

  /** MGET, then one loader call for the misses and a SET each: no lease, no fence. */
  async getMany(ids: readonly string[], loader: BatchLoader<T>): Promise<CacheLookup<T>[]> {
    const unique = [...new Set(ids)]
    const keys = unique.map((id) => this.keyFor(id))
    const raws = await this.#timed('get', () => this.#call('get', () => this.#redis.mget(...keys)))
    const answers = new Map<string, CacheLookup<T>>()
    const missing: number[] = []
    unique.forEach((id, i) => {
      const hit = this.#hit(raws?.[i] ?? null)
      if (hit) answers.set(id, hit)
      else missing.push(i)
    })
    if (missing.length > 0) {
      for (const _ of missing) {
        this.#observer.miss?.(this.name)
        this.#observer.load?.(this.name)
      }
      const values = await loader(missing.map((i) => unique[i] as string))
      await Promise.all(
        missing.map(async (i) => {
          const id = unique[i] as string
          answers.set(id, await this.#store(keys[i] as string, values.get(id)))
        }),
      )
    }
    return ids.map((id) => answers.get(id) as CacheLookup<T>)
  }

  #hit(raw: string | null): CacheLookup<T> | undefined {
    const cached = raw ? parse(raw) : undefined
    if (!(cached && 'value' in cached && this.#validate(cached.value))) return undefined
    this.#observer.hit?.(this.name, 'l2')
    return { value: cached.value as T, status: 'hit', tier: 'l2', freshUntil: cached.freshUntil }
  }

  /** SET with a TTL; never "no such thing" (naive caches only what exists). */
  async #store(key: string, value: T | undefined): Promise<CacheLookup<T>> {
    const storedAt = Date.now()
    const freshUntil = storedAt + this.#ttlMs
    if (value !== undefined) {
      // Whole milliseconds (Redis rejects `PX 1000.5`), with jitter like any cache-aside TTL.
      const ttlMs = Math.max(1, Math.floor(this.#ttlMs * (1 + this.#jitter * Math.random())))
      const entry = JSON.stringify({ value, storedAt, freshUntil, loadMs: 0 })
      await this.#timed('set', () =>
        this.#call('set', () => this.#redis.set(key, entry, 'PX', ttlMs)),
      )
    }
    return { value, status: 'miss', freshUntil }
  }

  async inspect(id: string): Promise<CacheInspection<T>> {
    const key = this.keyFor(id)
    const raw = await this.#call('get', () => this.#redis.get(key))
    const cached = raw ? parse(raw) : undefined
    if (!cached) return { key }
    return {
      key,
      l2: { value: cached.value as T, storedAt: cached.storedAt, freshUntil: cached.freshUntil },
    }
  }

  async delete(id: string): Promise<void> {
    const key = this.keyFor(id)
    await this.#timed('delete', () => this.#command('delete', () => this.#redis.del(key)))
  }

  async bumpVersion(): Promise<number> {
    this.#version = await this.#command('version', () => this.#redis.incr(this.#versionKey))
    return this.#version
  }

  /** Naive has no tags: nothing it stores carries one. */
  async deleteByTag(): Promise<void> {}

  get #versionKey(): string {
    return `${this.#namespace}version`
  }

  /** Polls the version key, so a bump elsewhere reaches this instance within `versionRefreshMs`. */
  async #readVersion(): Promise<void> {
    const stored = Number(await this.#call('version', () => this.#redis.get(this.#versionKey)))
    if (Number.isSafeInteger(stored) && stored >= 1) this.#version = stored
    // A read still in flight when close() ran must not start the polling again.
    if (this.#timer === undefined && this.#refreshMs > 0 && !this.#closed) {
      this.#timer = setInterval(() => void this.#readVersion(), this.#refreshMs).unref()
    }
  }

  /** A failed Redis call is reported and answers undefined: the read goes to the loader. */
  async #call<R>(command: 'get' | 'set' | 'version', call: () => Promise<R>) {
    try {
      return await this.#command(command, call)
    } catch {
      return undefined
    }
  }

  /** One Redis round trip, timed and, when it fails, reported before it rejects. */
  async #command<R>(command: NaiveCommand, call: () => Promise<R>): Promise<R> {
    const started = performance.now()
    try {
      return await call()
    } catch (error) {
      this.#observer.error?.(this.name, command, error)
      throw error
    } finally {
      this.#observer.redisCommand?.(this.name, command, performance.now() - started)
    }
  }

  /** Naive has one tier, Redis. */
  async #timed<R>(operation: TierOperation, call: () => Promise<R>): Promise<R> {
    const started = performance.now()
    try {
      return await call()
    } finally {
      this.#observer.tierOperation?.(this.name, 'l2', operation, performance.now() - started)
    }
  }
}

type NaiveCommand = 'get' | 'set' | 'delete' | 'version'

function parse(raw: string): { value?: unknown; storedAt: number; freshUntil: number } | undefined {
  try {
    const entry: unknown = JSON.parse(raw)
    if (typeof entry !== 'object' || entry === null || !('freshUntil' in entry)) return undefined
    return entry as { value?: unknown; storedAt: number; freshUntil: number }
  } catch {
    return undefined
  }
}
