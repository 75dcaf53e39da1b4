import type { CachedCopy, CacheInspection } from '@caching-strategies/cache'
import { NinesCounter, type NinesWindow, type WindowCounts } from './nines.js'
import type { LoggedWrite, WriteLog } from './write-log.js'

/** What the monitor audits: a cache it can look into and invalidate (any strategy). */
export interface AuditedCache<T> {
  readonly name: string
  inspect(id: string): Promise<CacheInspection<T>>
  delete(id: string): Promise<void>
}

/** What reads must see now, per the source of truth; undefined: no such thing. */
export interface Truth {
  version: number
  /** When it was written (epoch ms): how long a stale copy has been wrong. */
  updatedAt: number
}

export type CheckKind = 'invalidation' | 'sample'
export type CheckResult = 'consistent' | 'stale'

export interface StaleFinding {
  kind: CheckKind
  id: string
  key: string
  /** The version each tier held, where it held a stale one (null: "no such thing"). */
  held: { l1?: number | null; l2?: number | null }
  /** The version it should have held (0: none, the product was deleted). */
  expected: number
  /** How long the copy had been wrong, in ms. */
  wrongForMs: number
}

export interface ConsistencyObserver {
  checked(cache: string, kind: CheckKind, result: CheckResult): void
  /** Called once per stale entry found, after its repair was asked for. */
  staleFound(cache: string, finding: StaleFinding, repaired: boolean): void
}

export interface ConsistencyMonitorOptions<T> {
  cache: AuditedCache<T>
  versionOf: (value: T) => number
  truth: (id: number) => Promise<Truth | undefined>
  writes: WriteLog
  /** After each write, check at these delays (ms); empty: no invalidation checks. */
  checkDelaysMs: readonly number[]
  /** Cache answers compared with the truth per second; 0: no sampling. */
  samplesPerSecond: number
  observer: ConsistencyObserver
}

/** A sampled copy older than the truth by less than this may only be a write on its way. */
const SETTLE_MS = 1000
/** Sampled checks running at once, at most: the monitor never crowds the database. */
const MAX_SAMPLES_IN_FLIGHT = 2
/** After a sampled check found the database failing, none for this long (a small breaker). */
const DATABASE_PAUSE_MS = 5000
/** Invalidation checks waiting for their time, at most (each is a timer). */
const MAX_SCHEDULED = 10_000

/**
 * Measures, shows and repairs how often the cache disagrees with the source of truth, the way
 * Meta's Polaris does for its caches:
 *
 * - Invalidation-driven: every write (made here or elsewhere: the WriteLog) is checked at a few
 *   delays: neither this instance's L1 nor Redis may still hold an older version of it. This
 *   catches a lost invalidation, for the instance that lost it.
 * - Sampled: a bounded rate of this instance's cache answers is compared with the truth, off the
 *   request path. This catches what no invalidation announced: a row changed behind the
 *   service's back (a migration, an operator's SQL).
 *
 * A stale copy found is invalidated everywhere (the cache's fenced delete and its bus), counted,
 * and reported once. The nines come from the counts: −log10 of the stale share of checks.
 */
export class ConsistencyMonitor<T> {
  readonly #options: ConsistencyMonitorOptions<T>
  readonly #nines = new NinesCounter()
  readonly #timers = new Set<NodeJS.Timeout>()
  #budget = 0
  #inFlight = 0
  #databasePaused = false
  #refill: NodeJS.Timeout | undefined

  constructor(options: ConsistencyMonitorOptions<T>) {
    this.#options = options
  }

  start(): void {
    if (this.#options.checkDelaysMs.length > 0) {
      this.#options.writes.follow((write) => this.#scheduleChecks(write))
    }
    const rate = this.#options.samplesPerSecond
    if (rate > 0) {
      // A budget refilled each second, so a sample costs the read path two comparisons.
      this.#budget = Math.max(1, rate)
      this.#refill = setInterval(() => {
        this.#budget = Math.min(Math.max(1, rate), this.#budget + rate)
      }, 1000)
      this.#refill.unref()
    }
  }

  stop(): void {
    this.#options.writes.stop()
    clearInterval(this.#refill)
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }

  /** A write was acknowledged: tell every instance's monitor (through the WriteLog). */
  written(id: number, version: number): void {
    if (this.#options.checkDelaysMs.length === 0) return
    void this.#options.writes.append({ id, version, at: Date.now() })
  }

  /** A read was answered from a cache tier with this version: maybe compare it with the truth. */
  served(id: number, version: number): void {
    if (this.#budget < 1 || this.#inFlight >= MAX_SAMPLES_IN_FLIGHT || this.#databasePaused) return
    this.#budget--
    this.#inFlight++
    setImmediate(() => {
      this.#checkSample(id, version)
        .catch(() => {}) // an observer that threw: the monitor must never take the process down
        .finally(() => this.#inFlight--)
    })
  }

  /** Checks and stale findings over the last minute, 5 minutes and hour, with their nines. */
  windows(): Record<NinesWindow, WindowCounts> {
    return this.#nines.windows()
  }

  #scheduleChecks(write: LoggedWrite): void {
    for (const delayMs of this.#options.checkDelaysMs) {
      if (this.#timers.size >= MAX_SCHEDULED) return // a write storm: fewer checks, never memory
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer)
          this.#checkAfterWrite(write).catch(() => {}) // as in served()
        },
        Math.max(0, write.at + delayMs - Date.now()),
      )
      timer.unref()
      this.#timers.add(timer)
    }
  }

  async #checkAfterWrite(write: LoggedWrite): Promise<void> {
    const inspection = await this.#options.cache.inspect(String(write.id))
    const held = this.#olderCopies(inspection, write.version)
    if (!held) return this.#record('invalidation', 'consistent')
    await this.#found({
      kind: 'invalidation',
      id: String(write.id),
      key: inspection.key,
      held,
      expected: write.version,
      wrongForMs: Date.now() - write.at,
    })
  }

  async #checkSample(id: number, servedVersion: number): Promise<void> {
    let truth: Truth | undefined
    try {
      truth = await this.#options.truth(id)
    } catch {
      this.#pauseSampling()
      return
    }
    const expected = truth?.version ?? 0
    if (truth && servedVersion >= truth.version) return this.#record('sample', 'consistent')
    const wrongForMs = truth ? Date.now() - truth.updatedAt : SETTLE_MS
    // Written a moment ago: its invalidation may still be on its way; judge it another time.
    if (wrongForMs < SETTLE_MS) return
    const inspection = await this.#options.cache.inspect(String(id))
    const held = this.#olderCopies(inspection, expected)
    if (!held) return this.#record('sample', 'consistent') // repaired meanwhile
    const finding = { kind: 'sample' as const, id: String(id), key: inspection.key }
    await this.#found({ ...finding, held, expected, wrongForMs })
  }

  /** The tiers holding a copy older than `expected` (0: any copy of a value is stale). */
  #olderCopies(inspection: CacheInspection<T>, expected: number): StaleFinding['held'] | undefined {
    const held: StaleFinding['held'] = {}
    let stale = false
    for (const tier of ['l1', 'l2'] as const) {
      const copy = inspection[tier]
      if (copy && this.#isOlder(copy, expected)) {
        held[tier] = copy.value === undefined ? null : this.#options.versionOf(copy.value)
        stale = true
      }
    }
    return stale ? held : undefined
  }

  #isOlder(copy: CachedCopy<T>, expected: number): boolean {
    if (copy.value === undefined) return expected > 0 // "no such thing", yet it was written
    if (expected === 0) return true // a copy of a deleted product
    return this.#options.versionOf(copy.value) < expected
  }

  async #found(finding: StaleFinding): Promise<void> {
    this.#record(finding.kind, 'stale')
    const { cache, observer } = this.#options
    let repaired = true
    try {
      await cache.delete(finding.id)
    } catch {
      repaired = false // Redis did not take it: the cache retries invalidations on its own
    }
    observer.staleFound(cache.name, finding, repaired)
  }

  #record(kind: CheckKind, result: CheckResult): void {
    this.#nines.record(result === 'stale')
    this.#options.observer.checked(this.#options.cache.name, kind, result)
  }

  #pauseSampling(): void {
    this.#databasePaused = true
    setTimeout(() => {
      this.#databasePaused = false
    }, DATABASE_PAUSE_MS).unref()
  }
}
