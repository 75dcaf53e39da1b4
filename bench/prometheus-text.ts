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
    if (Number.isNaN(value)) continue
    const labels: Record<string, string> = {}
    for (const label of labelText.matchAll(LABEL)) {
      const [, key = '', escaped = ''] = label
      labels[key] = escaped.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char))
    }
    samples.push({ name, labels, value })
  }
  return samples
}

function parseSampleValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY
  return Number(raw)
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
