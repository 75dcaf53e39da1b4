/**
 * The arithmetic of the report, as pure functions: percentiles of latency samples, medians of
 * rounds, ratios. Nothing here knows about HTTP or processes.
 */

/**
 * The p-th percentile (0 < p <= 100) of values sorted ascending, by the nearest-rank method:
 * the smallest value with at least p% of the values at or below it. Always one of the values,
 * never an interpolation between them, as HdrHistogram and autocannon report it.
 * NaN for no values.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`p must be in (0, 100]: ${p}`)
  const count = sorted.length
  if (count === 0) return Number.NaN
  // The epsilon keeps float error from moving the rank: 99.9 / 100 * 1000 is 999.0000000000001.
  const rank = Math.ceil((p / 100) * count - 1e-9)
  return sorted[Math.min(count, Math.max(1, rank)) - 1] as number
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  const count = finite.length
  if (count === 0) return Number.NaN
  const middle = count >> 1
  return count % 2 === 1
    ? (finite[middle] as number)
    : ((finite[middle - 1] as number) + (finite[middle] as number)) / 2
}

export interface LatencySummary {
  count: number
  mean: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
}

/** Percentiles of the first `count` samples (milliseconds); the samples are not modified. */
export function summarizeLatencies(samples: Float64Array, count = samples.length): LatencySummary {
  const sorted = samples.slice(0, count).sort() // a Float64Array sorts numerically
  let sum = 0
  for (const value of sorted) sum += value
  return {
    count,
    mean: count === 0 ? Number.NaN : sum / count,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    p999: percentileOfSorted(sorted, 99.9),
    max: count === 0 ? Number.NaN : (sorted[count - 1] as number),
  }
}

/** a / b, or NaN when either is not a finite number or b is 0 (a ratio that means nothing). */
export function ratio(a: number, b: number): number {
  if (!(Number.isFinite(a) && Number.isFinite(b)) || b === 0) return Number.NaN
  return a / b
}

/** Per 1,000 of `total`: database loads per 1,000 requests, for instance. NaN for no total. */
export function perThousand(part: number, total: number): number {
  return total > 0 ? (part / total) * 1000 : Number.NaN
}

/** The median of each numeric field over rounds, e.g. req/s and p99 across A B A B runs. */
export function medianOfFields<K extends string>(
  rounds: ReadonlyArray<Readonly<Record<K, number>>>,
  fields: readonly K[],
): Record<K, number> {
  const result = {} as Record<K, number>
  for (const field of fields) result[field] = median(rounds.map((round) => round[field]))
  return result
}
