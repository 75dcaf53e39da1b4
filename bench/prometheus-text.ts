// The one reader of the Prometheus text exposition format (what /metrics answers) in this
// repository: the benchmarks read the service's counters with it, the tests its series.

/** One sample of the Prometheus text exposition format: `name{label="value",…} 42`. */
export interface Sample {
  name: string
  labels: Readonly<Record<string, string>>
  value: number
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses every sample line; comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const match = SAMPLE_LINE.exec(trimmed)
    if (!match) continue
    const [, name = '', labelText = '', rawValue = ''] = match
    const value = parseSampleValue(rawValue)
    if (value === undefined) continue
    const labels: Record<string, string> = {}
    for (const label of labelText.matchAll(LABEL)) {
      const [, key = '', escaped = ''] = label
      labels[key] = escaped.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char))
    }
    samples.push({ name, labels, value })
  }
  return samples
}

/** A float as the format writes it, NaN included (prom-client writes `Nan`); else undefined. */
function parseSampleValue(raw: string): number | undefined {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY
  if (/^nan$/i.test(raw)) return Number.NaN
  const value = Number(raw)
  return Number.isNaN(value) ? undefined : value
}

/**
 * The sum of every sample of `name` whose labels include all of `labels`: e.g.
 * `sumSamples(samples, 'cache_errors_total', { cache: 'product' })` adds up every operation.
 */
export function sumSamples(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0
  for (const sample of samples) {
    if (sample.name !== name) continue
    if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) {
      sum += sample.value
    }
  }
  return sum
}

/** The series names a metric family of each type yields in the text format. */
const SERIES_OF_TYPE: Record<string, (family: string) => string[]> = {
  histogram: (family) => [`${family}_bucket`, `${family}_count`, `${family}_sum`],
  summary: (family) => [family, `${family}_count`, `${family}_sum`],
}

const TYPE_LINE = /^# TYPE (\S+) (\S+)/

/**
 * Every series name a query may select in this exposition: from each `# TYPE` line (a metric is
 * exported once registered, even before its first sample) and from every sample line.
 */
export function exportedSeriesNames(text: string): Set<string> {
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const declared = TYPE_LINE.exec(line.trim())
    if (!declared) continue
    const family = declared[1] ?? ''
    const seriesOf = SERIES_OF_TYPE[declared[2] ?? '']
    for (const name of seriesOf?.(family) ?? [family]) names.add(name)
  }
  for (const sample of parsePrometheusText(text)) names.add(sample.name)
  return names
}
