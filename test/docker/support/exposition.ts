// Just enough of the Prometheus text exposition format (what /metrics answers) for the tests:
// which series a process exports, and the sum of a counter's samples.

/** The series names a metric family of each type yields in the text format. */
const SERIES_OF_TYPE: Record<string, (family: string) => string[]> = {
  histogram: (family) => [`${family}_bucket`, `${family}_count`, `${family}_sum`],
  summary: (family) => [family, `${family}_count`, `${family}_sum`],
}

/**
 * Every series name a query may select in this exposition: from each `# TYPE` line (a metric is
 * exported once registered, even before its first sample) and from every sample line.
 */
export function exportedSeriesNames(text: string): Set<string> {
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)/.exec(line)
    if (declared) {
      const family = declared[1] ?? ''
      const seriesOf = SERIES_OF_TYPE[declared[2] ?? '']
      for (const name of seriesOf?.(family) ?? [family]) names.add(name)
      continue
    }
    const sample = parseSample(line)
    if (sample) names.add(sample.name)
  }
  return names
}

/** The sum of the samples of `name` whose labels include every one of `labels`. */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    const sample = parseSample(line)
    if (sample?.name !== name) continue
    if (Object.entries(labels).every(([label, value]) => sample.labels[label] === value)) {
      sum += sample.value
    }
  }
  return sum
}

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const SAMPLE = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"/g

function parseSample(line: string): Sample | undefined {
  if (line.startsWith('#')) return undefined
  const match = SAMPLE.exec(line)
  if (!match) return undefined
  const labels: Record<string, string> = {}
  for (const [, label = '', raw = ''] of (match[2] ?? '').matchAll(LABEL)) {
    labels[label] = raw.replace(/\\(.)/g, (_, escaped: string) =>
      escaped === 'n' ? '\n' : escaped,
    )
  }
  return { name: match[1] ?? '', labels, value: Number(match[3]) }
}
