/**
 * Zipf's law over ranks 1..n: P(k) = (1 / k^s) / H(n, s), where H is the generalized harmonic
 * number. With s = 1 and n = 10,000, rank 1 gets ~10% of the draws, the top 100 ~53%, and the
 * tail is long: most ranks are drawn only a few times in a run, some never.
 */
export interface ZipfSampler {
  /** A rank in 1..n, the most popular first. */
  next(): number
  /** P(rank), for tests and reports. */
  probability(rank: number): number
  readonly n: number
}

/**
 * Builds the cumulative distribution once (n doubles), then samples by binary search: O(log n)
 * per draw, cheap enough to run in the load generator's request hook. `random` returns a number
 * in [0, 1), like Math.random; pass a seeded one to get repeatable draws.
 */
export function createZipfSampler(
  n: number,
  s: number,
  random: () => number = Math.random,
): ZipfSampler {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError(`n must be an integer >= 1: ${n}`)
  if (!(Number.isFinite(s) && s >= 0)) throw new RangeError(`s must be a number >= 0: ${s}`)

  const cumulative = new Float64Array(n)
  let total = 0
  for (let rank = 1; rank <= n; rank++) {
    total += 1 / rank ** s
    cumulative[rank - 1] = total
  }
  for (let i = 0; i < n; i++) cumulative[i] = (cumulative[i] as number) / total
  cumulative[n - 1] = 1 // no rounding gap at the top

  return {
    n,
    next() {
      const u = random()
      // The first index whose cumulative probability exceeds u.
      let low = 0
      let high = n - 1
      while (low < high) {
        const middle = (low + high) >>> 1
        if ((cumulative[middle] as number) > u) high = middle
        else low = middle + 1
      }
      return low + 1
    },
    probability(rank) {
      if (!(Number.isSafeInteger(rank) && rank >= 1 && rank <= n)) return 0
      const below = rank === 1 ? 0 : (cumulative[rank - 2] as number)
      return (cumulative[rank - 1] as number) - below
    },
  }
}

/**
 * A small seeded generator (mulberry32) for repeatable draws; returns numbers in [0, 1).
 * Statistically fine for load shaping, not for cryptography.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
