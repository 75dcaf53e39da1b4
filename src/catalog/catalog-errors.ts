import type { Loader } from '@caching-strategies/cache'
import { AppError } from '../errors.js'
import type { ReadThroughCache } from '../strategies/read-through-cache.js'
import { HoldUnavailable, WriteContention } from '../write-behind/write-refusals.js'

// What the catalog's dependencies throw, said as the closed set of AppErrors: the routes only
// translate those to HTTP.

/** With nothing cached to serve, a failing or slow database is a 503, not a 500. */
export function readThrough<T>(cache: ReadThroughCache<T>, id: string, loader: Loader<T>) {
  return databaseOrUnavailable(() => cache.getOrSet(id, loader))
}

export async function databaseOrUnavailable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    throw databaseUnavailable(error)
  }
}

export function databaseUnavailable(cause: unknown): AppError {
  const detail = 'The database did not answer, and nothing was cached'
  return new AppError('service_unavailable', detail, { cause })
}

/**
 * A write the database did not answer. It may not know whether a statement whose answer was lost
 * committed, so the detail does not promise that nothing changed: If-Match makes a retry safe.
 */
/** A write the database did not answer: a 503 that says so (a create is never half done). */
export async function databaseOrWriteUnavailable<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    throw databaseWriteUnavailable(error)
  }
}

export function databaseWriteUnavailable(cause: unknown): AppError {
  const detail =
    'The database did not answer the write; retry (with If-Match, it cannot apply twice)'
  return new AppError('service_unavailable', detail, { cause })
}

/** A Redis call the client asked for (an invalidation, a job, a version bump) that failed. */
export async function orUnavailable<T>(what: string, pending: Promise<T>): Promise<T> {
  try {
    return await pending
  } catch (error) {
    throw new AppError('service_unavailable', `Redis did not take ${what}; retry`, { cause: error })
  }
}

/**
 * A synchronous write, run while the product is held (ProductHolds.whileHeld). Other writes kept
 * the product busy past the wait, or Redis did not answer while a deferred write may wait there:
 * nothing was written, and the client may retry. Any other failure is the write's own, the
 * database's: a 503 that names it, not a 500.
 */
export async function unlessBusy<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending
  } catch (error) {
    if (error instanceof WriteContention) {
      throw new AppError('service_unavailable', 'Other writes kept the product busy; retry', {
        cause: error,
      })
    }
    if (error instanceof HoldUnavailable) {
      throw new AppError(
        'service_unavailable',
        'A deferred write to this product may be waiting in Redis, and it could not be ' +
          'checked or persisted first: nothing was changed; retry',
        { cause: error, retryAfterSeconds: 2 },
      )
    }
    if (error instanceof AppError) throw error
    // The hold and its release answer for Redis (above, or logged): what is left is the write.
    throw databaseWriteUnavailable(error)
  }
}

export function notFound(id: number): AppError {
  return new AppError('not_found', `Product ${id} does not exist`)
}

export function versionMismatch(currentVersion: number): AppError {
  return new AppError('precondition_failed', `The product is at version ${currentVersion}`, {
    extensions: { current_version: currentVersion },
  })
}
