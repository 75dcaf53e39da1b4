import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { REDIS_URL } from '../../../test/support/redis.js'
import { LateTimeoutError, RedisGuard } from '../src/redis-guard.js'
import {
  adminClient,
  connectClient,
  isolatedPrefix,
  POLL,
  spyObserver,
  startCache,
} from './helpers.js'

// A command timeout that fires late says this process was busy, not that Redis was: timers run
// before the event loop reads its sockets, so the reply may be sitting unread. Such timeouts
// must neither open the circuit nor make a lease waiter give up and load a second time.

const COMMAND_TIMEOUT_MS = 50

/** Keeps the event loop busy (as a burst of requests would) for `ms`, synchronously. */
function busyFor(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

/**
 * Resolves in the event loop's check phase (after it read its sockets). A command sent there,
 * then a busy spell: the next turn runs timers, the command's included, before reading the reply.
 */
const inCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A process busy right after every second command `redis` sends (as after a burst of requests):
 * that command goes out in the check phase and the loop then stays busy for 100 ms, so the next
 * turn runs its timer before reading its reply, however loaded the machine is.
 */
function busyAfterEverySecondCommand(redis: Redis): void {
  const send = redis.sendCommand.bind(redis)
  let sent = 0
  redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    if (++sent % 2 === 1) return send(...args)
    setImmediate(() => {
      void send(...args)
      busyFor(2 * COMMAND_TIMEOUT_MS)
    })
    return args[0].promise
  }
}

async function guardedCalls(countLateTimeouts: boolean) {
  const redis = await connectClient(REDIS_URL, COMMAND_TIMEOUT_MS)
  const states: string[] = []
  const guard = new RedisGuard({
    breaker: { threshold: 0.5, samplingMs: 2000, minimumRps: 2, halfOpenAfterMs: 5000 },
    report: () => {},
    onStateChange: (state) => states.push(state),
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    countLateTimeouts,
  })
  const errors: unknown[] = []
  for (let i = 0; i < 10; i++) {
    await inCheckPhase()
    const call = guard.attempt('get', () => redis.get('late-timeouts:any'))
    busyFor(3 * COMMAND_TIMEOUT_MS) // Redis answers meanwhile; the reply stays unread
    const result = await call
    if (!result.ok) errors.push(result.error)
  }
  return { errors, states }
}

describe('late command timeouts (this process was busy, not Redis)', () => {
  it('are told apart and do not open the circuit', async () => {
    const { errors, states } = await guardedCalls(false)
    expect(errors).toHaveLength(10) // every timer fired late, before its reply was read
    for (const error of errors) expect(error).toBeInstanceOf(LateTimeoutError)
    expect(states).toEqual([])
  })

  it('open the circuit when counted like any timeout (the protection off)', async () => {
    const { errors, states } = await guardedCalls(true)
    expect(errors).toHaveLength(10)
    for (const error of errors) expect(error).not.toBeInstanceOf(LateTimeoutError)
    expect(states).toContain('open')
  })

  async function waiterOnBusyProcess(countLateTimeouts: boolean) {
    const admin = adminClient()
    const keyPrefix = isolatedPrefix(admin)
    const instance = async (redis: Redis, observer = spyObserver()) => ({
      observer,
      cache: await startCache<string>({
        name: 'product',
        redis,
        keyPrefix,
        observer,
        leaseWaitMs: 4000,
        loaderTimeoutMs: 6000,
        countLateTimeouts,
      }),
    })
    const holder = await instance(await connectClient(REDIS_URL, COMMAND_TIMEOUT_MS))
    const waiterRedis = await connectClient(REDIS_URL, COMMAND_TIMEOUT_MS)
    const waiter = await instance(waiterRedis)
    const loader = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2000))
      return 'pen'
    })
    const held = holder.cache.getOrSet('42', loader)
    // The holder loads only once it holds the lease: from then on the waiter must wait for it.
    await vi.waitFor(() => expect(loader).toHaveBeenCalledOnce(), POLL)
    busyAfterEverySecondCommand(waiterRedis)
    const answers = await Promise.all([held, waiter.cache.getOrSet('42', loader)])
    const timeouts = waiter.observer.error.mock.calls.length
    return { loads: loader.mock.calls.length, values: answers.map((a) => a.value), timeouts }
  }

  it("let a lease waiter keep waiting for the holder's load: one load", async () => {
    const { loads, values, timeouts } = await waiterOnBusyProcess(false)
    expect(timeouts).toBeGreaterThan(3) // more than a waiter forgives a Redis that fails
    expect(values).toEqual(['pen', 'pen'])
    expect(loads).toBe(1)
  })

  it('make a lease waiter load a second time when counted (the protection off)', async () => {
    const { loads, values, timeouts } = await waiterOnBusyProcess(true)
    expect(timeouts).toBeGreaterThan(3)
    expect(values).toEqual(['pen', 'pen'])
    expect(loads).toBe(2)
  })
})
