import type { MetricSample } from './metric-sample.js'

export interface SampleWindowOptions {
  /** How far back the oldest kept sample may be. @default 5000 */
  windowMs?: number
  /** Readers closer together than this share one sample. @default 500 */
  minIntervalMs?: number
}

/** The span rates are computed over: from the oldest kept sample to the newest. */
export interface SampledSpan {
  oldest: MetricSample
  newest: MetricSample
}

/**
 * Metric samples taken on demand, so nothing runs while nobody is watching: at most one per
 * `minIntervalMs` (concurrent readers share it), kept for `windowMs`. After a pause longer than
 * the window only the new sample is left, and the span is empty until the next one.
 */
export class SampleWindow {
  readonly #take: () => Promise<MetricSample>
  readonly #windowMs: number
  readonly #minIntervalMs: number
  #samples: MetricSample[] = []
  #sampling: Promise<MetricSample> | undefined

  constructor(take: () => Promise<MetricSample>, options: SampleWindowOptions = {}) {
    this.#take = take
    this.#windowMs = options.windowMs ?? 5000
    this.#minIntervalMs = options.minIntervalMs ?? 500
  }

  async current(): Promise<SampledSpan> {
    const last = this.#samples.at(-1)
    if (last && performance.now() - last.at < this.#minIntervalMs) return this.#spanTo(last)
    this.#sampling ??= this.#take()
      .then((sample) => this.#keep(sample))
      .finally(() => {
        this.#sampling = undefined
      })
    return this.#spanTo(await this.#sampling)
  }

  #keep(sample: MetricSample): MetricSample {
    const cutoff = sample.at - this.#windowMs
    this.#samples = [...this.#samples.filter((kept) => kept.at >= cutoff), sample]
    return sample
  }

  #spanTo(newest: MetricSample): SampledSpan {
    return { oldest: this.#samples[0] ?? newest, newest }
  }
}
