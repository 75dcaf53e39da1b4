import { Histogram, type HistogramConfiguration } from 'prom-client'

/** One label set of a BoundHistogram, resolved once and kept by the caller. */
export interface BoundObserver {
  observe(value: number): void
}

/** Counts per bucket (not cumulative; the last one is +Inf) and their sum, for one label set. */
class Series implements BoundObserver {
  readonly counts: Float64Array
  sum = 0

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(value: number): void {
    let index = 0
    for (const bound of this.bounds) {
      if (value <= bound) break
      index++
    }
    this.counts[index] = (this.counts[index] ?? 0) + 1
    this.sum += value
  }

  reset(): void {
    this.counts.fill(0)
    this.sum = 0
  }
}

type ExportedValue = {
  labels: Record<string, string | number>
  sharedLabels: Readonly<Record<string, string>>
  value: number
  metricName: string
}

interface PromExport {
  name: string
  help: string
  type: string
  values: unknown[]
  aggregator: string
}

// Left out of prom-client's declarations, but what its Registry reads when a metric has it (and
// what Histogram#get builds on): the one place to add series to a histogram's export.
const exportOrdinary = (
  Histogram.prototype as unknown as { getForPromString(): Promise<PromExport> }
).getForPromString

/**
 * A prom-client Histogram for a hot path. prom-client's `labels(...).observe(v)` builds a labels
 * object and a hash string on every call (~440 ns measured on this machine); a series bound here
 * once with `bind()` observes with a bucket search and two additions, nothing allocated (~10 ns).
 * It registers, resets and exports like any Histogram; label sets bound here appear next to any
 * observed through the ordinary API (use one or the other per label set).
 */
export class BoundHistogram<L extends string> extends Histogram<L> {
  // Not #private: prom-client's constructor calls reset() before this class's fields exist, and
  // reading a #private field then throws; hence also `bound` may be undefined.
  private bound: Map<string, Series> | undefined = new Map()
  private bucketBounds: readonly number[] = []
  private boundLabelNames: readonly L[] = []
  private metricName = ''

  constructor(config: HistogramConfiguration<L> & { buckets: number[] }) {
    super(config)
    this.bucketBounds = [...config.buckets].sort((a, b) => a - b)
    this.boundLabelNames = config.labelNames ?? []
    this.metricName = config.name
  }

  /** The series for these labels, created on first use; keep it rather than bind per call. */
  bind(labels: Readonly<Record<L, string>>): BoundObserver {
    const key = this.boundLabelNames.map((name) => labels[name]).join('\u0000')
    let series = this.bound?.get(key)
    if (!series) {
      series = new Series({ ...labels }, this.bucketBounds)
      this.bound?.set(key, series)
    }
    return series
  }

  override reset(): void {
    super.reset()
    for (const series of this.bound?.values() ?? []) series.reset()
  }

  /** What prom-client's registry reads (and `get()` splays): the ordinary series, then ours. */
  async getForPromString(): Promise<PromExport> {
    const ordinary = await exportOrdinary.call(this)
    return { ...ordinary, values: [...ordinary.values, ...this.#exportBound()] }
  }

  #exportBound(): ExportedValue[] {
    const values: ExportedValue[] = []
    const bucketName = `${this.metricName}_bucket`
    for (const series of this.bound?.values() ?? []) {
      let cumulative = 0
      this.bucketBounds.forEach((le, index) => {
        cumulative += series.counts[index] ?? 0
        values.push({
          labels: { le },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucketName,
        })
      })
      const count = cumulative + (series.counts[this.bucketBounds.length] ?? 0)
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: series.labels,
          value: count,
          metricName: bucketName,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.sum,
          metricName: `${this.metricName}_sum`,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: count,
          metricName: `${this.metricName}_count`,
        },
      )
    }
    return values
  }
}
