import { Cluster, type Redis } from 'ioredis'

/** SCAN pages of 1,000: at most this many per node, i.e. ten million keys, then it stops. */
const MAX_SCAN_PAGES = 10_000

/**
 * Deletes every key under `prefix`, including the cache's `{<prefix>…}:gen` and `:lease`
 * companions, with SCAN + UNLINK (never KEYS or FLUSHDB: the Redis is shared). On a Cluster it
 * scans every master (`nodes('master')`: SCAN sees one node's keys) and unlinks each key on its
 * own (the keys of one command must share a slot). Returns how many keys it deleted.
 */
export async function deleteKeysByPrefix(redis: Redis | Cluster, prefix: string): Promise<number> {
  const escaped = prefix.replace(/[*?[\]\\]/g, '\\$&')
  const cluster = redis instanceof Cluster
  let deleted = 0
  for (const node of cluster ? redis.nodes('master') : [redis]) {
    for (const pattern of [`${escaped}*`, `\\{${escaped}*`]) {
      let cursor = '0'
      let pages = 0
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        if (keys.length > 0)
          deleted += cluster ? await unlinkOneByOne(node, keys) : await node.unlink(...keys)
        cursor = next
      } while (cursor !== '0' && ++pages < MAX_SCAN_PAGES)
    }
  }
  return deleted
}

/** UNLINK per key, in one pipeline to the node that holds them. */
async function unlinkOneByOne(node: Redis, keys: readonly string[]): Promise<number> {
  const pipeline = node.pipeline()
  for (const key of keys) pipeline.unlink(key)
  const replies = (await pipeline.exec()) ?? []
  let deleted = 0
  for (const [error, count] of replies) {
    if (error) throw error
    deleted += Number(count)
  }
  return deleted
}
