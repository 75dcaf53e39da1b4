// How long a write waits on Redis and on other writes, and how it is refused when that is not
// enough: what the catalog turns into 503s.

/** How long a write waits for a product that other writes keep busy before giving up. */
export const WAIT_MS = 5_000
/**
 * How long a write keeps asking a Redis that does not answer (a stall, a restart, a failover)
 * before it is refused: a fork for a snapshot or a failover is usually over well within this.
 */
export const REDIS_WAIT_MS = 3_000

/** Gave up waiting for a product that other writes kept busy. */
export class WriteContention extends Error {
  override name = 'WriteContention'
}

/**
 * A deferred write's staging call failed, and Redis did not answer within REDIS_WAIT_MS whether
 * it ran: the write may be staged (then its job and every read will find it) or not.
 */
export class StageUnconfirmed extends Error {
  override name = 'StageUnconfirmed'
}

/**
 * A synchronous write could not take the product's hold, because Redis did not answer within
 * REDIS_WAIT_MS, and a deferred write may be staged there: writing around it could overwrite it
 * (or be overwritten by it), so the write was refused before it changed anything.
 */
export class HoldUnavailable extends Error {
  override name = 'HoldUnavailable'
}

/**
 * A staged write reached fewer replicas than required in time, and the database did not take it
 * at once either: it was not acknowledged, though it stays staged and its job may yet persist it.
 */
export class NotReplicated extends Error {
  override name = 'NotReplicated'
}

/**
 * Redis's JSON decoder (cjson, in stage.lua) refused the write's fields, e.g. a lone surrogate,
 * which JSON.stringify escapes but cjson will not decode. Nothing ran: the write's own fault, a
 * 400, never retried. (The API's schema refuses such text first; this is the last line.)
 */
export class UndecodableWrite extends Error {
  override name = 'UndecodableWrite'
}

/** cjson's refusal, as Redis reports a script error: `ERR user_script:… Expected value but found…`. */
export function isDecodeRefusal(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ReplyError' &&
    /user_script:\d+: Expected .* but found /.test(error.message)
  )
}

/**
 * A deferred write needed the database row to build on, and the database did not answer: nothing
 * was staged. (Named apart so the refusal blames the database, not Redis.)
 */
export class BaseRowUnavailable extends Error {
  override name = 'BaseRowUnavailable'
}
