import type { RedisClient } from '@caching-strategies/cache'

/** A write as the consistency monitor hears of it: the product, the version written, when. */
export interface LoggedWrite {
  id: number
  /** The version the write produced; 0 for a delete (no version may remain). */
  version: number
  /** When it was acknowledged (epoch ms). */
  at: number
}

/** Entries kept in the stream: minutes of writes at a high rate; the monitor reads them in seconds. */
const MAX_ENTRIES = 10_000
/** How often each instance reads the stream: well below the first check delay. */
const POLL_MS = 200
const READ_COUNT = 1000

/**
 * Every acknowledged write, in a Redis stream every instance reads: how an instance whose bus
 * subscription lost an invalidation still hears of the write, as Polaris hears of writes from
 * the database's own log rather than from the caches it audits. Best effort on both sides: a
 * write the stream missed is only a check not made.
 */
export class WriteLog {
  readonly #redis: RedisClient
  readonly #key: string
  #lastId = '$'
  #timer: NodeJS.Timeout | undefined
  #polling = false

  constructor(redis: RedisClient, keyPrefix: string) {
    this.#redis = redis
    this.#key = `${keyPrefix}consistency:writes`
  }

  /** Appends a write; never throws (a failure costs one check). */
  async append(write: LoggedWrite): Promise<void> {
    try {
      await this.#redis.xadd(
        this.#key,
        'MAXLEN',
        '~',
        MAX_ENTRIES,
        '*',
        'id',
        write.id,
        'version',
        write.version,
        'at',
        write.at,
      )
    } catch {
      // The monitor is an observer: it never fails a write.
    }
  }

  /** Reads, from now on, every write appended (here or elsewhere), in order. */
  follow(onWrite: (write: LoggedWrite) => void): void {
    this.#lastId = `${Date.now()}-0`
    const poll = async () => {
      if (this.#polling) return
      this.#polling = true
      try {
        const reply = await this.#redis.xread(
          'COUNT',
          READ_COUNT,
          'STREAMS',
          this.#key,
          this.#lastId,
        )
        for (const [, entries] of reply ?? []) {
          for (const [entryId, fields] of entries) {
            this.#lastId = entryId
            const write = parseWrite(fields)
            if (write) onWrite(write)
          }
        }
      } catch {
        // Redis is down or slow: the next poll asks again from the same place.
      } finally {
        this.#polling = false
      }
    }
    this.#timer = setInterval(() => void poll(), POLL_MS)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}

function parseWrite(fields: string[]): LoggedWrite | undefined {
  const named = new Map<string, string>()
  for (let i = 0; i + 1 < fields.length; i += 2)
    named.set(fields[i] as string, fields[i + 1] as string)
  const write = {
    id: Number(named.get('id')),
    version: Number(named.get('version')),
    at: Number(named.get('at')),
  }
  return Number.isSafeInteger(write.id) && Number.isSafeInteger(write.version) && write.at > 0
    ? write
    : undefined
}
