import type { RunMeasurement } from '../results.js'
import { median, perThousand, ratio } from '../stats.js'
import { type ProductQueries, totalQueries } from './db-queries.js'

/** One run of one way of reading, with what the load generator cannot see on its own. */
export interface WayRun {
  run: RunMeasurement
  /** The product queries the service made during the run (its /metrics, after − before). */
  queries: ProductQueries
  /** cache_errors_total by operation during the run. */
  redisErrors: Record<string, number>
  /** Products answered: 2xx responses × ids per request. */
  products: number
}

/** Products in the 2xx answers of a run whose requests each ask for `idsPerRequest` ids. */
export function productsOf(run: RunMeasurement, idsPerRequest: number): number {
  return (run.requests - run.non2xx) * idsPerRequest
}

export const productsPerSecond = ({ run, products }: WayRun) =>
  run.elapsedMs > 0 ? (products / run.elapsedMs) * 1000 : Number.NaN

export const cpuUsPerProduct = ({ run, products }: WayRun) =>
  products > 0 ? (run.serverCpuMs * 1000) / products : Number.NaN

const measured = (runs: readonly WayRun[]) => runs.filter(({ run }) => run.round > 0)

/**
 * The median over rounds of `value(a) / value(b)`, pairing the runs of the same round
 * (round 0, a warm-up, is never a pair).
 */
export function pairedWayRatio(
  a: readonly WayRun[],
  b: readonly WayRun[],
  value: (run: WayRun) => number,
): number {
  const byRound = new Map(measured(b).map((run) => [run.run.round, value(run)]))
  return median(measured(a).map((run) => ratio(value(run), byRound.get(run.run.round) ?? NaN)))
}

export interface WayFigures {
  /** Median over the measured rounds. */
  productsPerSecond: number
  cpuUsPerProduct: number
  /** Totals over the measured rounds. */
  products: number
  findProductQueries: number
  findProductsQueries: number
  queriesPer1000Products: number
  /** cache_loads_total counts keys: products read from the database. */
  keysLoadedPer1000Products: number
}

/** One way's figures over its measured rounds (the warm-up left out). */
export function wayFigures(runs: readonly WayRun[]): WayFigures {
  const rounds = measured(runs)
  const sum = (value: (run: WayRun) => number) =>
    rounds.reduce((total, run) => total + value(run), 0)
  const products = sum((run) => run.products)
  return {
    productsPerSecond: median(rounds.map(productsPerSecond)),
    cpuUsPerProduct: median(rounds.map(cpuUsPerProduct)),
    products,
    findProductQueries: sum((run) => run.queries.findProduct),
    findProductsQueries: sum((run) => run.queries.findProducts),
    queriesPer1000Products: perThousand(
      sum((run) => totalQueries(run.queries)),
      products,
    ),
    keysLoadedPer1000Products: perThousand(
      sum((run) => run.run.databaseLoads),
      products,
    ),
  }
}

/** Redis calls that failed or timed out over the measured rounds, by operation (none left out). */
export function redisErrorsOf(runs: readonly WayRun[]): Record<string, number> {
  const total: Record<string, number> = {}
  for (const { redisErrors } of measured(runs)) {
    for (const [operation, count] of Object.entries(redisErrors)) {
      if (count > 0) total[operation] = (total[operation] ?? 0) + count
    }
  }
  return total
}
