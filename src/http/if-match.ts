import { AppError } from '../errors.js'

// A product's ETags come from its version: every write bumps it, so a version names one state of
// the product. A validator is strong only when the bytes it stands for are the same (RFC 9110
// §8.8.1), so which kind each answer gets depends on its body:
//
// - A read answers `{"source": …, "data": …}`: for one version, `source` is "db" when the read
//   loaded it and "cache" after. Two bodies, semantically the same: a weak ETag, `W/"3"`.
//   If-None-Match compares weakly, so `W/"3"` and `"3"` both get a 304.
// - A write answers the product alone: one body per version (only one write makes a version),
//   so a strong ETag, `"3"`. It is what If-Match takes.
//
// If-Match compares strongly (RFC 9110 §13.1.1: a weak tag never matches), so a read's `W/"3"`
// cannot be sent back as it is: a client sends `"3"`, the version its read holds (`data.version`)
// or the ETag of its last write's answer. The 400 for a weak tag says exactly that. (Moving
// `source` out of the body would have made the read's bytes equal, but clients rely on the body.)

/** The strong ETag of a product as a write answers it, e.g. `"3"`: what If-Match takes. */
export const etagOf = (version: number) => `"${version}"`

/** The weak ETag of a read, e.g. `W/"3"`: its body says where it came from, the state does not. */
export const readEtagOf = (version: number) => `W/${etagOf(version)}`

const STRONG_VERSION_TAG = /^\s*"([1-9][0-9]{0,9})"\s*$/
const WEAK_VERSION_TAG = /^\s*W\/"([1-9][0-9]{0,9})"\s*$/

/**
 * If-Match → the version a write expects, or undefined for "any" (no header or `*`).
 * Only one strong ETag is accepted: the repository checks a single version atomically.
 */
export function expectedVersionFrom(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined
  const match = STRONG_VERSION_TAG.exec(ifMatch)
  if (match?.[1]) return Number(match[1])
  const weak = WEAK_VERSION_TAG.exec(ifMatch)?.[1]
  const detail = weak
    ? `If-Match compares strong ETags, and ${ifMatch.trim()} is weak (a read's ETag): send ` +
      `"${weak}", the product's version in quotes`
    : `If-Match must be "*" or one strong ETag: the product's version in quotes, such as "3" ` +
      `(got ${ifMatch.slice(0, 100)})`
  throw new AppError('invalid_if_match', detail)
}

/**
 * If-None-Match (RFC 9110 §13.1.2: weak comparison, a list or `*`): does the client already hold
 * the representation whose ETag is `etag`? `W/"x"` and `"x"` both match either.
 */
export function ifNoneMatchHolds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  if (ifNoneMatch.trim() === '*') return true
  const opaque = withoutWeakness(etag)
  return ifNoneMatch.split(',').some((tag) => withoutWeakness(tag.trim()) === opaque)
}

const withoutWeakness = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag)

/** Whether If-None-Match names the read of `version` a client holds (weakly: W/"3" or "3"). */
export function clientHasVersion(ifNoneMatch: string | undefined, version: number): boolean {
  return ifNoneMatchHolds(ifNoneMatch, etagOf(version))
}
