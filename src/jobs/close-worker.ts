import type { RedisClient } from '@caching-strategies/cache'
import type { Worker } from 'bullmq'

/**
 * Closes `worker`, letting the jobs under way finish, then disconnects `connection` (BullMQ
 * leaves a connection it was handed open). With `untilRedisGone`, it stops waiting once that
 * connection is down, now or during the close: BullMQ's close() never resolves while its
 * connections are reconnecting (taskforcesh/bullmq#4656), and a job under way cannot finish
 * without Redis anyway. Such a job keeps its place in the queue: its lock lapses and a stalled
 * check runs it again, on another worker or after a restart.
 */
export async function closeWorker(
  worker: Worker,
  connection: RedisClient,
  { untilRedisGone }: { untilRedisGone: boolean },
): Promise<void> {
  const closed = worker.close()
  if (!untilRedisGone) await closed
  else {
    closed.catch(() => {}) // given up on once Redis is gone
    const gone = whenDisconnected(connection)
    try {
      await Promise.race([closed, gone.promise])
    } finally {
      gone.cancel()
    }
  }
  connection.disconnect()
}

/** Resolves once `connection` is not ready: already, or when it next closes. */
function whenDisconnected(connection: RedisClient) {
  let cancel = () => {}
  const promise = new Promise<void>((resolve) => {
    if (connection.status !== 'ready') return resolve()
    const onClose = () => resolve()
    connection.once('close', onClose)
    cancel = () => connection.off('close', onClose)
  })
  return { promise, cancel }
}
