import type { Redis } from 'ioredis'

/** SCAN pages of 1,000: at most this many, i.e. ten million keys, then it stops. */
const MAX_SCAN_PAGES = 10_000

/**
 * Deletes every key under `prefix`, including the cache's `{<prefix>…}:gen` and `:lease`
 * companions, with SCAN + UNLINK (never KEYS or FLUSHDB: the Redis is shared). Returns how
 * many keys it deleted.
 */
export async function deleteKeysByPrefix(redis: Redis, prefix: string): Promise<number> {
  const escaped = prefix.replace(/[*?[\]\\]/g, '\\$&')
  let deleted = 0
  for (const pattern of [`${escaped}*`, `\\{${escaped}*`]) {
    let cursor = '0'
    let pages = 0
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length > 0) deleted += await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0' && ++pages < MAX_SCAN_PAGES)
  }
  return deleted
}
