import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  handleAll,
  SamplingBreaker,
} from 'cockatiel'
import type { CacheOperation } from './types.js'

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
 * The failure policy around Redis, in one place. Every call is reported when it fails; a call
 * the cache makes on its own behalf (a read, a fill) answers a failed Attempt instead of
 * throwing, while one a caller asked for (an invalidation) also rejects so it can be retried.
 *
 * With a circuit breaker, once `threshold` of the calls over the sampling window have failed,
 * Redis is not called at all for `halfOpenAfterMs`, then one call probes it: a dead or hung
 * Redis costs a read nothing instead of a command timeout each. It samples a rate rather than
 * counting failures in a row because a burst of requests can delay a few replies past the
 * command timeout (the event loop was busy, not Redis), and that must not cut Redis off.
 * Calls refused by the open circuit are not reported again.
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
