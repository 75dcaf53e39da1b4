import { AppError } from '../errors.js'

/** The ETag of a product is its version, e.g. `"3"`: every write bumps it. */
export const etagOf = (version: number) => `"${version}"`

/**
 * If-Match → the version a write expects, or undefined for "any" (no header or `*`).
 * Only one strong ETag is accepted: the repository checks a single version atomically.
 */
export function expectedVersionFrom(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined
  const match = /^\s*"([1-9][0-9]{0,9})"\s*$/.exec(ifMatch)
  if (!match?.[1]) {
    throw new AppError('invalid_if_match', `Cannot use If-Match: ${ifMatch.slice(0, 100)}`)
  }
  return Number(match[1])
}

/** If-None-Match (weak comparison, lists and `*` allowed): does the client already hold `version`? */
export function clientHasVersion(ifNoneMatch: string | undefined, version: number): boolean {
  if (ifNoneMatch === undefined) return false
  if (ifNoneMatch.trim() === '*') return true
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(version))
}
