import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
} from 'cockatiel'
import type { CacheOperation } from './types.js'

export type CircuitStateName = 'closed' | 'open' | 'half-open'

export interface CircuitBreakerOptions {
  /** Consecutive failed Redis calls that open the circuit. @default 5 */
  failures?: number
  /** How long the circuit stays open before one call probes Redis again, in ms. @default 1000 */
  halfOpenAfterMs?: number
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown }

/**
 * The failure policy around Redis, in one place. Every call is reported when it fails; a call
 * the cache makes on its own behalf (a read, a fill) answers a failed Attempt instead of
 * throwing, while one a caller asked for (an invalidation) also rejects so it can be retried.
 *
 * With a circuit breaker, after `failures` failed calls in a row Redis is not called at all
 * for `halfOpenAfterMs`, then one call probes it: a dead or hung Redis costs a read nothing
 * instead of a command timeout each. Calls refused by the open circuit are not reported again.
 */
export class RedisGuard {
  readonly #breaker: CircuitBreakerPolicy | undefined
  readonly #report: (operation: CacheOperation, error: unknown) => void

  constructor(options: {
    breaker: CircuitBreakerOptions | false
    report: (operation: CacheOperation, error: unknown) => void
    onStateChange?: (state: CircuitStateName) => void
  }) {
    this.#report = options.report
    if (options.breaker === false) return
    this.#breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.breaker.halfOpenAfterMs ?? 1000,
      breaker: new ConsecutiveBreaker(options.breaker.failures ?? 5),
    })
    const { onStateChange } = options
    if (onStateChange) this.#breaker.onStateChange((state) => onStateChange(stateName(state)))
  }

  get state(): CircuitStateName {
    return this.#breaker ? stateName(this.#breaker.state) : 'closed'
  }

  /** Runs a call for the cache's own sake: never throws. */
  async attempt<T>(operation: CacheOperation, call: () => Promise<T>): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await this.#run(call) }
    } catch (error) {
      this.#reportUnlessRefused(operation, error)
      return { ok: false, error }
    }
  }

  /** Runs a call a caller asked for: reports, then rejects, on failure. */
  async require<T>(operation: CacheOperation, call: () => Promise<T>): Promise<T> {
    try {
      return await this.#run(call)
    } catch (error) {
      this.#reportUnlessRefused(operation, error)
      throw error
    }
  }

  #run<T>(call: () => Promise<T>): Promise<T> {
    return this.#breaker ? this.#breaker.execute(call) : call()
  }

  #reportUnlessRefused(operation: CacheOperation, error: unknown): void {
    if (!(error instanceof BrokenCircuitError)) this.#report(operation, error)
  }
}

function stateName(state: CircuitState): CircuitStateName {
  if (state === CircuitState.Closed) return 'closed'
  if (state === CircuitState.HalfOpen) return 'half-open'
  return 'open'
}
