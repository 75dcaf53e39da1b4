import { setTimeout as sleep } from 'node:timers/promises'

const FIRST_PAUSE_MS = 25
const MAX_PAUSE_MS = 400

/**
 * Calls `attempt` until it resolves, pausing 25, 50, 100 … 400 ms between failures, and gives
 * up with the last error once another pause would end past `deadline` (a Date.now() time). For
 * a Redis that stalls or restarts for a moment: the caller outlasts it instead of failing on
 * its first refusal, yet never waits without a bound.
 */
export async function retryWithin<T>(deadline: number, attempt: () => Promise<T>): Promise<T> {
  let pauseMs = FIRST_PAUSE_MS
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() + pauseMs > deadline) throw error
      await sleep(pauseMs)
      pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2)
    }
  }
}
