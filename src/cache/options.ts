import type { CacheObserver, CacheOptions, GetOrSetOptions } from './types.js'

/** The cache's options after defaults and unit conversion: a plain object, resolved once. */
export interface ResolvedCacheOptions<T> {
  name: string
  keyPrefix: string
  ttlMs: number
  ttlJitter: number
  initialVersion: number
  versionRefreshMs: number
  validate: (value: unknown) => value is T
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
  const ttlSeconds = raw.ttlSeconds ?? 300
  const ttlJitter = raw.ttlJitter ?? 0.1
  const initialVersion = raw.initialVersion ?? 1
  const versionRefreshMs = raw.versionRefreshMs ?? 500
  requirePositive('ttlSeconds', ttlSeconds)
  requirePositive('versionRefreshMs', versionRefreshMs)
  if (!(Number.isFinite(ttlJitter) && ttlJitter >= 0)) {
    throw new RangeError(`Cache option ttlJitter must be a number >= 0, got ${ttlJitter}`)
  }
  if (!(Number.isSafeInteger(initialVersion) && initialVersion >= 1)) {
    throw new RangeError(
      `Cache option initialVersion must be an integer >= 1, got ${initialVersion}`,
    )
  }
  return {
    name: raw.name,
    keyPrefix: raw.keyPrefix ?? '',
    ttlMs: ttlSeconds * 1000,
    ttlJitter,
    initialVersion,
    versionRefreshMs,
    validate: raw.validate ?? acceptAnything,
    observer: { ...silentObserver, ...raw.observer },
  }
}

/** Per-call overrides, shallow-merged over the resolved options. */
export function withCallOptions<T>(
  resolved: ResolvedCacheOptions<T>,
  raw: GetOrSetOptions | undefined,
): ResolvedCacheOptions<T> {
  if (raw?.ttlSeconds === undefined) return resolved
  requirePositive('ttlSeconds', raw.ttlSeconds)
  return { ...resolved, ttlMs: raw.ttlSeconds * 1000 }
}

function requirePositive(option: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`Cache option ${option} must be a number > 0, got ${value}`)
  }
}

// Without a validator the cache trusts what it wrote itself.
function acceptAnything<T>(_value: unknown): _value is T {
  return true
}

const silentObserver: Required<CacheObserver> = {
  hit() {},
  miss() {},
  load() {},
  error() {},
}
