import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  handleWhen,
  SamplingBreaker,
} from 'cockatiel'
import type { CacheOperation, RedisCommand } from './types.js'

export type CircuitStateName = 'closed' | 'open' | 'half-open'

export interface CircuitBreakerOptions {
  /** The share of failed Redis calls, over the sampling window, that opens the circuit. @default 0.5 */
  threshold?: number
  /** The sampling window, in ms. @default 5000 */
  samplingMs?: number
  /** Below this many calls a second the circuit never opens: too few to judge. @default 5 */
  minimumRps?: number
  /** How long the circuit stays open before one call probes Redis again, in ms. @default 1000 */
  halfOpenAfterMs?: number
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown }

/**
 * A command timeout that fired late: this process's event loop was busy past the timeout, so
 * Redis's reply may well be sitting unread in the socket (timers run before the loop reads
 * sockets). It says nothing about Redis: the circuit breaker does not count it, and a caller may
 * simply ask again.
 */
export class LateTimeoutError extends Error {
  constructor(lateByMs: number, options: { cause: unknown }) {
    super(`Redis command timed out ${Math.round(lateByMs)} ms late: this process was busy`, options)
    this.name = 'LateTimeoutError'
  }
}

/** A timeout is late when it fires this much of the timeout after it was due. */
const LATE_SHARE = 0.25

/** The commands that go through the guard (the bus publishes on its own and never throws). */
export type GuardedCommand = Exclude<RedisCommand, 'publish'>

/** Errors keep the coarser operation they have always been reported under. */
const REPORTED_AS: Record<GuardedCommand, CacheOperation> = {
  get: 'get',
  set: 'set',
  fill: 'set',
  delete: 'delete',
  invalidate: 'delete',
  acquire: 'lease',
  release: 'lease',
  version: 'version',
  tags: 'tags',
}

/**
 * The failure policy around Redis, in one place. Every call is reported when it fails; a call
 * the cache makes on its own behalf (a read, a fill) answers a failed Attempt instead of
 * throwing, while one a caller asked for (an invalidation) also rejects so it can be retried.
 *
 * With a circuit breaker, once `threshold` of the calls over the sampling window have failed,
 * Redis is not called at all for `halfOpenAfterMs`, then one call probes it: a dead or hung
 * Redis costs a read nothing instead of a command timeout each. A burst of requests can keep
 * the event loop busy past the command timeout while Redis's reply waits unread: such a
 * timeout fires late, is a LateTimeoutError, and is not counted; and the breaker samples a rate
 * rather than counting failures in a row, so a few slow replies do not cut Redis off either.
 * Calls refused by the open circuit are not reported again, nor timed.
 */
export class RedisGuard {
  readonly #breaker: CircuitBreakerPolicy | undefined
  readonly #report: (operation: CacheOperation, error: unknown) => void
  readonly #time: ((command: GuardedCommand, ms: number) => void) | undefined
  readonly #lateAfterMs: number

  constructor(options: {
    breaker: CircuitBreakerOptions | false
    report: (operation: CacheOperation, error: unknown) => void
    onStateChange?: (state: CircuitStateName) => void
    /** Told how long each call Redis ran took, failed ones included (a timeout is a slow call). */
    time?: (command: GuardedCommand, ms: number) => void
    /** The client's command timeout: a timeout that fires well after it was due is a LateTimeoutError. */
    commandTimeoutMs?: number
    /**
     * Hold a late timeout against Redis like any other (counted by the breaker) rather than
     * excusing it: only to show what it costs (the protection off). @default false
     */
    countLateTimeouts?: boolean
  }) {
    this.#report = options.report
    this.#time = options.time
    this.#lateAfterMs =
      options.commandTimeoutMs === undefined || options.countLateTimeouts
        ? Number.POSITIVE_INFINITY
        : options.commandTimeoutMs * (1 + LATE_SHARE)
    if (options.breaker === false) return
    const againstRedis = handleWhen((error) => !(error instanceof LateTimeoutError))
    this.#breaker = circuitBreaker(againstRedis, {
      halfOpenAfter: options.breaker.halfOpenAfterMs ?? 1000,
      breaker: new SamplingBreaker({
        threshold: options.breaker.threshold ?? 0.5,
        duration: options.breaker.samplingMs ?? 5000,
        minimumRps: options.breaker.minimumRps ?? 5,
      }),
    })
    const { onStateChange } = options
    if (onStateChange) this.#breaker.onStateChange((state) => onStateChange(stateName(state)))
  }

  get state(): CircuitStateName {
    return this.#breaker ? stateName(this.#breaker.state) : 'closed'
  }

  /** Runs a call for the cache's own sake: never throws. */
  async attempt<T>(command: GuardedCommand, call: () => Promise<T>): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await this.#run(command, call) }
    } catch (error) {
      this.#reportUnlessRefused(REPORTED_AS[command], error)
      return { ok: false, error }
    }
  }

  /** Runs a call a caller asked for: reports, then rejects, on failure. */
  async require<T>(command: GuardedCommand, call: () => Promise<T>): Promise<T> {
    try {
      return await this.#run(command, call)
    } catch (error) {
      this.#reportUnlessRefused(REPORTED_AS[command], error)
      throw error
    }
  }

  #run<T>(command: GuardedCommand, call: () => Promise<T>): Promise<T> {
    // Timed inside the breaker, so a call it refuses (no round trip) is not counted as a fast one.
    const run = () => this.#timed(command, call)
    return this.#breaker ? this.#breaker.execute(run) : run()
  }

  #timed<T>(command: GuardedCommand, call: () => Promise<T>): Promise<T> {
    const started = performance.now()
    // One promise, not an async function's two: this wraps every Redis call, an L2 hit's too.
    return call().then(
      (value) => {
        this.#time?.(command, performance.now() - started)
        return value
      },
      (error: unknown) => {
        const elapsedMs = performance.now() - started
        this.#time?.(command, elapsedMs)
        if (elapsedMs > this.#lateAfterMs && isCommandTimeout(error)) {
          throw new LateTimeoutError(elapsedMs - this.#lateAfterMs / (1 + LATE_SHARE), {
            cause: error,
          })
        }
        throw error
      },
    )
  }

  #reportUnlessRefused(operation: CacheOperation, error: unknown): void {
    if (!(error instanceof BrokenCircuitError)) this.#report(operation, error)
  }
}

/** ioredis rejects a command that outlived `commandTimeout` with exactly this message. */
function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out'
}

function stateName(state: CircuitState): CircuitStateName {
  if (state === CircuitState.Closed) return 'closed'
  if (state === CircuitState.HalfOpen) return 'half-open'
  return 'open'
}
