/**
 * What the cache stores for one id, kept as readable JSON in Redis (`GET product:v1:42`):
 *
 *   {"value":{…},"storedAt":1732590000000,"freshUntil":1732590300000,"loadMs":3}
 *
 * An entry is fresh until `freshUntil`, then stale (still served, while one refresh runs)
 * for the grace period, after which Redis drops it. `absent` caches "no such thing"
 * (negative caching). `tags` holds each tag's version when the load began: once a tag is
 * invalidated (its version moves on), the entry is outdated.
 */
export interface Entry<T> {
  value?: T
  absent?: true
  storedAt: number
  freshUntil: number
  /** How long the load took: early refresh starts sooner for slow loads (XFetch). */
  loadMs: number
  tags?: Readonly<Record<string, number>>
}

export function encodeEntry(entry: Entry<unknown>): string {
  return JSON.stringify(entry)
}

/** The entry in `raw`, or undefined when it is not one (bad JSON, wrong shape): a miss, not an error. */
export function decodeEntry(raw: string): Entry<unknown> | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const entry = parsed as Record<string, unknown>
  if (!isTime(entry.storedAt) || !isTime(entry.freshUntil) || !isTime(entry.loadMs))
    return undefined
  const absent = entry.absent === true
  if (absent === 'value' in entry) return undefined // exactly one of a value or `absent`
  if (entry.tags !== undefined && !isTagVersions(entry.tags)) return undefined
  return entry as unknown as Entry<unknown>
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function isTagVersions(value: unknown): value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return Object.values(value).every((version) => Number.isSafeInteger(version))
}
