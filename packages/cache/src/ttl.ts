/**
 * The TTL to write for one entry: the base plus a random share of it (up to `jitter`), so
 * entries filled together (after a deploy, a version bump) do not all expire in the same instant.
 * `random` returns a number in [0, 1), like Math.random; it is a parameter so tests can pin it.
 * The result is a whole number of milliseconds in [baseMs, baseMs * (1 + jitter)], at least 1
 * (Redis rejects `PX 0`).
 */
export function ttlWithJitterMs(baseMs: number, jitter: number, random: () => number): number {
  const extra = Math.floor(baseMs * jitter * random())
  return Math.max(1, Math.floor(baseMs) + extra)
}
