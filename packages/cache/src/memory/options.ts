export interface MemoryTierOptions {
  /** Most entries held; 0 disables the tier (every get misses, set is a no-op). @default 10_000 */
  maxItems?: number
  /** Most bytes held, counted as the UTF-8 size of each entry's JSON encoding. @default 64 MiB */
  maxBytes?: number
  /**
   * Longest an entry lives in this tier, in ms (a per-set ttl may only shorten it).
   * @default 30_000
   */
  ttlMs?: number
  /**
   * Called when an entry is evicted to respect the bounds (not on delete/expiry), e.g. for a
   * metric. Called once the tier is consistent again, so it may use the tier.
   */
  onEvict?: (key: string) => void
  /**
   * The clock TTLs run on, in ms. For tests, which move a fake one; it is then read on every
   * expiry check instead of at most once per ms. @default performance.now
   */
  now?: () => number
}

/** The tier's options after defaults: a plain object, resolved once. */
export interface ResolvedMemoryTierOptions {
  maxItems: number
  maxBytes: number
  ttlMs: number
  onEvict: ((key: string) => void) | undefined
  now: (() => number) | undefined
}

const MiB = 1024 * 1024

export function resolveMemoryTierOptions(raw: MemoryTierOptions = {}): ResolvedMemoryTierOptions {
  const resolved = {
    maxItems: raw.maxItems ?? 10_000,
    maxBytes: raw.maxBytes ?? 64 * MiB,
    ttlMs: raw.ttlMs ?? 30_000,
    onEvict: raw.onEvict,
    now: raw.now,
  }
  requireWholeNumber('maxItems', resolved.maxItems, 0)
  // lru-cache takes only whole numbers >= 1 for its size bound and default TTL.
  requireWholeNumber('maxBytes', resolved.maxBytes, 1)
  requireWholeNumber('ttlMs', resolved.ttlMs, 1)
  return resolved
}

function requireWholeNumber(option: string, value: number, min: number): void {
  if (!(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(
      `Memory tier option ${option} must be a whole number >= ${min}, got ${value}`,
    )
  }
}
