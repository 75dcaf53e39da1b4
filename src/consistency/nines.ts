/** The windows the nines are reported over, by name, in seconds. */
export const NINES_WINDOWS = { '1m': 60, '5m': 300, '1h': 3600 } as const
export type NinesWindow = keyof typeof NINES_WINDOWS

export interface WindowCounts {
  checks: number
  stale: number
  /**
   * −log10 of the stale share: 3 means one check in 1,000 found a stale entry. With no stale
   * check, log10(checks): what the checks can vouch for at least (null with no check at all).
   */
  nines: number | null
  /** True when `nines` is only that lower bound (no stale check in the window). */
  atLeast: boolean
}

const BUCKET_SECONDS = 10
const BUCKETS = NINES_WINDOWS['1h'] / BUCKET_SECONDS

/**
 * Counts of checks and stale findings in 10-second buckets over the last hour, from which the
 * "nines" of consistency over each window come (Meta's Polaris reports the same).
 */
export class NinesCounter {
  readonly #checks = new Float64Array(BUCKETS)
  readonly #stale = new Float64Array(BUCKETS)
  /** The bucket number (time / 10 s) each slot holds, so old slots are known as old. */
  readonly #slotOf = new Float64Array(BUCKETS).fill(-1)
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  record(stale: boolean): void {
    const bucket = Math.floor(this.#now() / 1000 / BUCKET_SECONDS)
    const slot = bucket % BUCKETS
    if (this.#slotOf[slot] !== bucket) {
      this.#slotOf[slot] = bucket
      this.#checks[slot] = 0
      this.#stale[slot] = 0
    }
    this.#checks[slot] = (this.#checks[slot] ?? 0) + 1
    if (stale) this.#stale[slot] = (this.#stale[slot] ?? 0) + 1
  }

  window(seconds: number): WindowCounts {
    const newest = Math.floor(this.#now() / 1000 / BUCKET_SECONDS)
    const oldest = newest - Math.ceil(seconds / BUCKET_SECONDS) + 1
    let checks = 0
    let stale = 0
    for (let slot = 0; slot < BUCKETS; slot++) {
      const bucket = this.#slotOf[slot] as number
      if (bucket < oldest || bucket > newest) continue
      checks += this.#checks[slot] as number
      stale += this.#stale[slot] as number
    }
    return { checks, stale, ...ninesOf(checks, stale) }
  }

  windows(): Record<NinesWindow, WindowCounts> {
    return {
      '1m': this.window(NINES_WINDOWS['1m']),
      '5m': this.window(NINES_WINDOWS['5m']),
      '1h': this.window(NINES_WINDOWS['1h']),
    }
  }
}

export function ninesOf(checks: number, stale: number): { nines: number | null; atLeast: boolean } {
  if (checks === 0) return { nines: null, atLeast: false }
  if (stale === 0) return { nines: round(Math.log10(checks)), atLeast: true }
  return { nines: round(-Math.log10(stale / checks)), atLeast: false }
}

// + 0 turns −0 (all checks stale) into 0.
const round = (value: number) => Math.round(value * 100) / 100 + 0
