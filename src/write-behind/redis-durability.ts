import { masterConnections, type RedisClient, whenReady } from '@caching-strategies/cache'
import type { Redis } from 'ioredis'

/** How long start() waits for a client that is still connecting. */
const READY_WAIT_MS = 1000

/** What an operator may declare where Redis will not say (CONFIG refused, as on managed Redis). */
export type DeclaredPersistence = 'aof' | 'none'

/** Whether Redis keeps a staged write until its job persists it, and why (or why not), in words. */
export interface Durability {
  deferrable: boolean
  reason: string
  /** Read from Redis (`config`), or taken from REDIS_PERSISTENCE because Redis would not say. */
  source: 'config' | 'declared'
}

/** The settings a staged write depends on, as `CONFIG GET` names them. */
const SETTINGS = ['appendonly', 'appendfsync', 'maxmemory', 'maxmemory-policy'] as const
type Settings = Partial<Record<(typeof SETTINGS)[number], string>>

/**
 * Judges Redis's settings: a deferred write is acknowledged once it is staged in Redis, so Redis
 * must write it to disk (appendonly yes) soon enough (appendfsync always or everysec) and never
 * evict it (no maxmemory, or maxmemory-policy noeviction, which BullMQ needs too).
 */
export function judgeSettings(settings: Settings): Durability {
  const refuse = (reason: string): Durability => ({ deferrable: false, reason, source: 'config' })
  if (settings.appendonly !== 'yes') {
    return refuse(
      'Redis has no append-only file (appendonly no): a restart would lose staged writes',
    )
  }
  const policy = settings['maxmemory-policy'] ?? 'noeviction'
  if ((settings.maxmemory ?? '0') !== '0' && policy !== 'noeviction') {
    return refuse(`maxmemory-policy ${policy} may evict staged writes and queued jobs`)
  }
  switch (settings.appendfsync) {
    case 'always':
      return { deferrable: true, reason: 'appendfsync always: no loss window', source: 'config' }
    case 'everysec':
      return {
        deferrable: true,
        reason:
          'appendfsync everysec: a crash of the machine (not of Redis alone) can lose about the ' +
          'last second of acknowledged deferred writes',
        source: 'config',
      }
    default:
      return refuse(`appendfsync ${settings.appendfsync ?? '?'} leaves the loss window to the OS`)
  }
}

export function judgeDeclared(declared: DeclaredPersistence | undefined): Durability {
  if (declared === 'aof') {
    return { deferrable: true, reason: 'declared REDIS_PERSISTENCE=aof', source: 'declared' }
  }
  return {
    deferrable: false,
    reason:
      'Redis refuses CONFIG and REDIS_PERSISTENCE is ' +
      (declared === undefined ? 'unset' : 'none') +
      ': staged writes may not survive a restart',
    source: 'declared',
  }
}

/**
 * Knows, at every moment, whether this Redis may hold deferred writes: read at start and again
 * on every reconnect (a Redis that comes back may be another one, or restarted with other
 * settings). Until Redis has answered once it is not known, and not deferrable.
 */
export class RedisDurability {
  readonly #redis: RedisClient
  readonly #declared: DeclaredPersistence | undefined
  readonly #onChange: (durability: Durability) => void
  #current: Durability | undefined
  #replicasSeen = false
  readonly #onReady = () => void this.check()

  constructor(
    redis: RedisClient,
    options: {
      declared?: DeclaredPersistence | undefined
      /** Told once at the first answer and again whenever the judgement changes. */
      onChange?: (durability: Durability) => void
    } = {},
  ) {
    this.#redis = redis
    this.#declared = options.declared
    this.#onChange = options.onChange ?? (() => {})
  }

  /** Whether a deferred write may be acknowledged now. */
  get deferrable(): boolean {
    return this.#current?.deferrable ?? false
  }

  /**
   * Whether a master has ever shown a connected replica. It stays true when the replicas go away,
   * so that deferred writes are then applied synchronously (or refused), never acknowledged on
   * the master alone.
   */
  get replicasSeen(): boolean {
    return this.#replicasSeen
  }

  /** The last judgement, or undefined until Redis has answered. */
  get current(): Durability | undefined {
    return this.#current
  }

  /** Checks now and on every reconnect; answers the first judgement (undefined if Redis is down). */
  async start(): Promise<Durability | undefined> {
    this.#redis.on('ready', this.#onReady)
    // Without an offline queue, a command sent while connecting fails at once: wait a moment.
    if (!(await whenReady(this.#redis, READY_WAIT_MS))) return undefined
    return this.check()
  }

  stop(): void {
    this.#redis.off('ready', this.#onReady)
  }

  /** Asks Redis again; keeps the last judgement when Redis does not answer at all. */
  async check(): Promise<Durability | undefined> {
    let next: Durability
    try {
      // Every master must keep them (on a Cluster, a write may land on any).
      const masters = masterConnections(this.#redis)
      if (masters.length === 0) return this.#current
      const judged = await Promise.all(
        masters.map(async (master) => judgeSettings(await readSettings(master))),
      )
      next = judged.find((durability) => !durability.deferrable) ?? (judged[0] as Durability)
      const replicas = await Promise.all(masters.map(connectedReplicas))
      if (replicas.some((count) => count > 0)) this.#replicasSeen = true
    } catch (error) {
      if (!isRefusal(error)) return this.#current
      next = judgeDeclared(this.#declared)
    }
    const changed =
      this.#current?.deferrable !== next.deferrable || this.#current?.reason !== next.reason
    this.#current = next
    if (changed) this.#onChange(next)
    return next
  }
}

/** One CONFIG GET per setting (Redis before 7 takes one pattern), sent together. */
async function readSettings(redis: Redis): Promise<Settings> {
  const replies = await Promise.all(
    SETTINGS.map((name) => redis.call('CONFIG', 'GET', name) as Promise<unknown>),
  )
  const settings: Record<string, string> = {}
  for (const reply of replies) {
    if (!Array.isArray(reply)) throw new TypeError(`CONFIG GET answered ${String(reply)}`)
    for (let index = 0; index + 1 < reply.length; index += 2) {
      settings[String(reply[index])] = String(reply[index + 1])
    }
  }
  return settings
}

/** `connected_slaves` of INFO replication: the replicas attached to this master right now. */
async function connectedReplicas(master: Redis): Promise<number> {
  try {
    const info = await master.info('replication')
    return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0)
  } catch {
    return 0 // INFO refused (ACL): replicas are then only what WRITE_BEHIND_MIN_REPLICAS says
  }
}

/** Redis answered, with a no: the command is renamed, unknown or not allowed (ACL). */
function isRefusal(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError'
}
