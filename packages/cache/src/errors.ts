/**
 * The errors the cache throws, so a caller can tell them apart: `instanceof`, or `code` across
 * package copies. A loader's own error reaches the caller as the loader threw it; a bad option
 * is a RangeError that names the option.
 */
export type CacheErrorCode = 'LOADER_TIMEOUT' | 'REDIS_UNAVAILABLE'

/** The base of the errors the cache itself throws. */
export abstract class CacheError extends Error {
  abstract readonly code: CacheErrorCode
}

/** The loader did not answer within `loaderTimeoutMs`, and there was nothing stale to serve. */
export class LoaderTimeoutError extends CacheError {
  override readonly name = 'LoaderTimeoutError'
  readonly code = 'LOADER_TIMEOUT'
  constructor(cache: string, ms: number) {
    super(`The ${cache} loader did not answer within ${ms} ms`)
  }
}

/**
 * Redis did not take a write the caller asked for (a delete, a set, a tag invalidation, a
 * version bump); `cause` holds Redis's error. This instance's L1 and, over the bus, the others'
 * have dropped the entries already, and an invalidation is retried in the background until Redis
 * takes it; the caller may retry too.
 */
export class CacheUnavailableError extends CacheError {
  override readonly name = 'CacheUnavailableError'
  readonly code = 'REDIS_UNAVAILABLE'
  constructor(cache: string, what: string, cause: unknown) {
    super(`Redis did not take the ${cache} cache's ${what}`, { cause })
  }
}
