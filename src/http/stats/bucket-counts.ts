/**
 * A histogram's cumulative bucket counts, summed over the label sets kept: `cumulative[i]` is
 * how many observations were <= `bounds[i]`; the last bound is +Infinity, so its count is the
 * total. Bounds ascend.
 */
export interface BucketCounts {
  bounds: readonly number[]
  cumulative: readonly number[]
}

export const NO_BUCKETS: BucketCounts = { bounds: [], cumulative: [] }

/** What was observed between two readings of one histogram (`older` may predate its first series). */
export function bucketsSince(newer: BucketCounts, older: BucketCounts): BucketCounts {
  const before = new Map(older.bounds.map((bound, index) => [bound, older.cumulative[index] ?? 0]))
  return {
    bounds: newer.bounds,
    cumulative: newer.bounds.map(
      (bound, index) => (newer.cumulative[index] ?? 0) - (before.get(bound) ?? 0),
    ),
  }
}

export function totalOf(counts: BucketCounts): number {
  return counts.cumulative.at(-1) ?? 0
}

/**
 * The q-quantile the way PromQL's histogram_quantile computes it: find the bucket holding the
 * rank, interpolate linearly inside it (from 0 for the first); a rank in the +Inf bucket answers
 * the highest finite bound. Undefined when nothing was observed.
 */
export function quantileOf(counts: BucketCounts, q: number): number | undefined {
  const total = totalOf(counts)
  if (total <= 0) return undefined
  const rank = q * total
  let previousBound = 0
  let previousCount = 0
  for (const [index, bound] of counts.bounds.entries()) {
    const count = counts.cumulative[index] ?? 0
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return previousBound
      const inBucket = count - previousCount
      if (inBucket <= 0) return bound
      return previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket
    }
    previousBound = bound
    previousCount = count
  }
  return previousBound
}
