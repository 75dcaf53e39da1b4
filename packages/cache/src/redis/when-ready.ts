import type { RedisClient } from './client.js'

/**
 * Waits until the client can take commands (without an offline queue, a command sent while it
 * is still connecting fails at once), for at most `timeoutMs`. Answers whether it is ready.
 */
export function whenReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  if (redis.status === 'end') return Promise.resolve(false)
  return new Promise((resolve) => {
    const settle = (ready: boolean): void => {
      clearTimeout(timer)
      redis.off('ready', onReady)
      resolve(ready)
    }
    const onReady = (): void => settle(true)
    const timer = setTimeout(settle, timeoutMs, false)
    redis.once('ready', onReady)
  })
}
