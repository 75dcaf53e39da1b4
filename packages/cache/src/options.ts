import type { CircuitBreakerOptions } from './redis-guard.js'
import type { CacheObserver, CacheOptions, CacheProtections, CallOptions } from './types.js'

/** The cache's options after defaults and unit conversion: a plain object, resolved once. */
export interface ResolvedCacheOptions<T> {
  name: string
  keyPrefix: string
  freshMs: number
  graceMs: number
  negativeTtlMs: number
  ttlJitter: number
  initialVersion: number
  versionRefreshMs: number
  validate: (value: unknown) => value is T
  tags: ((value: T) => readonly string[]) | undefined
  leaseWaitMs: number
  /** How long a lease holds before it frees itself: past any load a caller still waits for. */
  leaseMs: number
  loaderTimeoutMs: number
  failSafeBackoffMs: number
  earlyRefreshBeta: number
  circuitBreaker: CircuitBreakerOptions | false
  protections: Required<CacheProtections>
  countLateTimeouts: boolean
  absentL1MaxItems: number | 'shared'
  observer: Required<CacheObserver>
}

/** Metrics labels and key segments: a closed, readable alphabet (no `:` that could fake a key level). */
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/

export function resolveCacheOptions<T>(raw: CacheOptions<T>): ResolvedCacheOptions<T> {
  if (!NAME_PATTERN.test(raw.name)) {
    throw new RangeError(
      `Cache option name must match ${NAME_PATTERN}, got ${JSON.stringify(raw.name)}`,
    )
  }
  const seconds = (option: string, value: number, min: number) => {
    requireAtLeast(option, value, min)
    return value * 1000
  }
  const ms = (option: string, value: number) => {
    requireAtLeast(option, value, 1)
    return value
  }
  const initialVersion = raw.initialVersion ?? 1
  if (!(Number.isSafeInteger(initialVersion) && initialVersion >= 1)) {
    throw new RangeError(
      `Cache option initialVersion must be an integer >= 1, got ${initialVersion}`,
    )
  }
  const leaseWaitMs = ms('leaseWaitMs', raw.leaseWaitMs ?? 1000)
  const loaderTimeoutMs = ms('loaderTimeoutMs', raw.loaderTimeoutMs ?? 3000)
  if (leaseWaitMs >= loaderTimeoutMs) {
    // Otherwise a caller whose wait was in vain fails at the moment it should load itself.
    throw new RangeError(
      `Cache option leaseWaitMs (${leaseWaitMs}) must be below loaderTimeoutMs (${loaderTimeoutMs})`,
    )
  }
  return {
    name: raw.name,
    keyPrefix: raw.keyPrefix ?? '',
    freshMs: positiveSeconds('ttlSeconds', raw.ttlSeconds ?? 300),
    graceMs: seconds('graceSeconds', raw.graceSeconds ?? 3600, 0),
    negativeTtlMs: seconds('negativeTtlSeconds', raw.negativeTtlSeconds ?? 30, 0),
    ttlJitter: nonNegative('ttlJitter', raw.ttlJitter ?? 0.1),
    initialVersion,
    versionRefreshMs: ms('versionRefreshMs', raw.versionRefreshMs ?? 500),
    validate: raw.validate ?? acceptAnything,
    tags: raw.tags,
    leaseWaitMs,
    leaseMs: loaderTimeoutMs + 1000,
    loaderTimeoutMs,
    failSafeBackoffMs: ms('failSafeBackoffMs', raw.failSafeBackoffMs ?? 5000),
    earlyRefreshBeta: nonNegative('earlyRefreshBeta', raw.earlyRefreshBeta ?? 1),
    circuitBreaker: raw.circuitBreaker ?? {},
    protections: {
      tagFloor: raw.protections?.tagFloor ?? true,
      resetDetection: raw.protections?.resetDetection ?? true,
      uniqueGenerations: raw.protections?.uniqueGenerations ?? true,
      retryInvalidations: raw.protections?.retryInvalidations ?? true,
      failoverDetection: raw.protections?.failoverDetection ?? true,
    },
    countLateTimeouts: raw.countLateTimeouts ?? false,
    absentL1MaxItems: absentL1MaxItems(raw.absentL1MaxItems),
    observer: { ...silentObserver, ...raw.observer },
  }
}

/**
 * The options of one call: the cache's resolved options with this call's overrides (a shallow
 * merge, checked like the cache's own). Without overrides, the cache's object itself.
 */
export function resolveCallOptions<T>(
  base: ResolvedCacheOptions<T>,
  call: CallOptions | undefined,
): ResolvedCacheOptions<T> {
  if (call === undefined) return base
  const resolved = { ...base }
  if (call.ttlSeconds !== undefined)
    resolved.freshMs = positiveSeconds('ttlSeconds', call.ttlSeconds)
  if (call.graceSeconds !== undefined) {
    requireAtLeast('graceSeconds', call.graceSeconds, 0)
    resolved.graceMs = call.graceSeconds * 1000
  }
  if (call.negativeTtlSeconds !== undefined) {
    requireAtLeast('negativeTtlSeconds', call.negativeTtlSeconds, 0)
    resolved.negativeTtlMs = call.negativeTtlSeconds * 1000
  }
  if (call.loaderTimeoutMs !== undefined) {
    requireAtLeast('loaderTimeoutMs', call.loaderTimeoutMs, 1)
    resolved.loaderTimeoutMs = call.loaderTimeoutMs
    resolved.leaseMs = call.loaderTimeoutMs + 1000
    // A shorter timeout than the cache's lease wait shortens the wait too, unless both were set.
    if (call.leaseWaitMs === undefined && base.leaseWaitMs >= call.loaderTimeoutMs) {
      resolved.leaseWaitMs = Math.floor(call.loaderTimeoutMs / 3)
    }
  }
  if (call.leaseWaitMs !== undefined) {
    requireAtLeast('leaseWaitMs', call.leaseWaitMs, 0)
    resolved.leaseWaitMs = call.leaseWaitMs
  }
  if (resolved.leaseWaitMs >= resolved.loaderTimeoutMs) {
    throw new RangeError(
      `Call option leaseWaitMs (${resolved.leaseWaitMs}) must be below loaderTimeoutMs (${resolved.loaderTimeoutMs})`,
    )
  }
  const extraTags = call.tags
  if (extraTags?.length) {
    const ownTags = base.tags
    resolved.tags = ownTags ? (value) => [...ownTags(value), ...extraTags] : () => extraTags
  }
  return resolved
}

function absentL1MaxItems(raw: number | 'shared' | undefined): number | 'shared' {
  if (raw === 'shared') return raw
  const maxItems = raw ?? 1000
  if (!(Number.isSafeInteger(maxItems) && maxItems >= 0)) {
    throw new RangeError(
      `Cache option absentL1MaxItems must be a whole number >= 0 or 'shared', got ${maxItems}`,
    )
  }
  return maxItems
}

function positiveSeconds(option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`Cache option ${option} must be a number > 0, got ${value}`)
  }
  return value * 1000
}

function requireAtLeast(option: string, value: number, min: number): void {
  if (!(Number.isFinite(value) && value >= min)) {
    throw new RangeError(`Cache option ${option} must be a number >= ${min}, got ${value}`)
  }
}

function nonNegative(option: string, value: number): number {
  requireAtLeast(option, value, 0)
  return value
}

// Without a validator the cache trusts what it wrote itself.
function acceptAnything<T>(_value: unknown): _value is T {
  return true
}

const silentObserver: Required<CacheObserver> = {
  hit() {},
  stale() {},
  miss() {},
  load() {},
  coalesced() {},
  fenced() {},
  error() {},
  circuit() {},
  redisReset() {},
  redisFailover() {},
  redisCommand() {},
  tierOperation() {},
}
