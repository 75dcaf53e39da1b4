import type { Entry } from './entry.js'

export const isFresh = (entry: Entry<unknown>, now: number) => now < entry.freshUntil

/** Stale but still servable: past its fresh period, within the grace period after it. */
export const isWithinGrace = (entry: Entry<unknown>, now: number, graceMs: number) =>
  now < entry.freshUntil + graceMs

/**
 * Probabilistic early expiration ("XFetch", Vattani, Chierichetti and Lowenstein, VLDB 2015):
 * a fresh entry is refreshed early with a probability that grows as expiry nears, faster for
 * keys that are slow to load (`loadMs`) and with a larger `beta`. Reads of a hot key come so
 * often that one of them refreshes it before it expires, so it never goes stale under load;
 * a cold key is almost never refreshed early. `random` is in (0, 1]; a parameter for tests.
 */
export function shouldRefreshEarly(
  entry: Entry<unknown>,
  now: number,
  beta: number,
  random: () => number,
): boolean {
  if (beta <= 0) return false
  const headStart = -Math.max(1, entry.loadMs) * beta * Math.log(random())
  return now + headStart >= entry.freshUntil
}
