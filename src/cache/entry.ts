/**
 * What the cache stores for one id. Kept as readable JSON in Redis (`GET product:v1:42` shows it),
 * and open to new fields: stale-while-revalidate will add a fresh-until time, and older readers
 * ignore fields they do not know.
 */
export interface Entry<T> {
  value: T
  /** When the value was written, in epoch milliseconds. */
  storedAt: number
}

export function encodeEntry(entry: Entry<unknown>): string {
  return JSON.stringify({ value: entry.value, storedAt: entry.storedAt })
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
  if (!('value' in parsed) || !('storedAt' in parsed)) return undefined
  const { value, storedAt } = parsed
  if (typeof storedAt !== 'number' || !Number.isFinite(storedAt)) return undefined
  return { value, storedAt }
}
