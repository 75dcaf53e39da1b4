import { decodeEntry, type Entry } from './entry.js'
import { isWithinGrace } from './freshness.js'
import type { ResolvedCacheOptions } from './options.js'
import { TagVersions } from './tag-versions.js'
import { ttlWithJitterMs } from './ttl.js'
import type { CacheLookup, CacheTier } from './types.js'

/**
 * A loaded value as an entry: fresh for the fresh period (or the negative TTL for "absent"),
 * stamped with its tags' versions from before the load began.
 */
export function newEntry<T>(
  options: ResolvedCacheOptions<T>,
  value: T | undefined,
  loadMs: number,
  tagsBefore: Readonly<Record<string, number>>,
): Entry<T> {
  const storedAt = Date.now()
  const loaded = { storedAt, loadMs: Math.round(loadMs) }
  if (value === undefined) {
    return { absent: true, freshUntil: storedAt + options.negativeTtlMs, ...loaded }
  }
  const tags = options.tags?.(value)
  return {
    value,
    freshUntil: storedAt + options.freshMs,
    ...loaded,
    ...(tags?.length ? { tags: TagVersions.stamp(tagsBefore, tags) } : {}),
  }
}

/** How long an entry stays servable from now: its fresh period plus grace ("absent" has none). */
export function lifetimeMs(entry: Entry<unknown>, now: number, graceMs: number): number {
  return entry.absent ? entry.freshUntil - now : entry.freshUntil - now + graceMs
}

/** The entry's lifetime in Redis, with jitter, so keys filled together expire apart. */
export function redisTtlMs(
  entry: Entry<unknown>,
  now: number,
  options: Pick<ResolvedCacheOptions<unknown>, 'graceMs' | 'ttlJitter'>,
) {
  const lifetime = Math.max(1, lifetimeMs(entry, now, options.graceMs))
  return ttlWithJitterMs(lifetime, options.ttlJitter, Math.random)
}

export function lookup<T>(entry: Entry<T>, status: CacheLookup<T>['status'], tier?: CacheTier) {
  const answer: CacheLookup<T> = { value: entry.value, status, freshUntil: entry.freshUntil }
  if (tier) answer.tier = tier
  return answer
}

/** Servable at all: not outdated by a tag, not past its grace period (none for "absent"). */
export function isServable<T>(
  entry: Entry<T>,
  now: number,
  call: ResolvedCacheOptions<T>,
  tags: TagVersions,
): boolean {
  const graceMs = entry.absent ? 0 : call.graceMs
  return isWithinGrace(entry, now, graceMs) && tags.isCurrent(entry.tags)
}

/** The entry stored as `raw`, if it decodes, validates and is servable; else undefined (a miss). */
export function decodeServable<T>(
  raw: string,
  now: number,
  call: ResolvedCacheOptions<T>,
  tags: TagVersions,
): Entry<T> | undefined {
  const entry = decodeEntry(raw) as Entry<T> | undefined
  if (entry === undefined) return undefined
  if (!entry.absent && !call.validate(entry.value)) return undefined
  return isServable(entry, now, call, tags) ? entry : undefined
}
