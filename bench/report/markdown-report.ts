import { type ConsistencyFigures, formatNines } from '../consistency-counters.js'
import type { BenchResults, ScenarioResult, TargetCheck, TopologyComparison } from '../results.js'
import {
  formatCount,
  formatMs,
  formatNumber,
  formatPerThousand,
  formatRatio,
  formatShare,
} from './format.js'

/** The targets of the issue, met or not: printed at the end of a run and used in the docs. */
export function renderChecksTable(checks: readonly TargetCheck[]): string {
  const rows = checks.map(
    (check) =>
      `| ${check.met ? '✅ met' : '❌ missed'} | ${check.title} | ${check.goal} | ${check.measured} |`,
  )
  return ['| | target | goal | measured |', '|---|---|---|---|', ...rows].join('\n')
}

/**
 * With --topology cluster: each twinned target's figure on the one Redis and on the Redis
 * Cluster, and the ratio cluster / one Redis (req/s: paired by round; loads: of the medians).
 */
export function renderComparisonsTable(comparisons: readonly TopologyComparison[]): string {
  const rows = comparisons.map((comparison) =>
    [
      comparison.scenario,
      comparison.label,
      comparison.metric,
      formatComparisonValue(comparison.standalone),
      formatComparisonValue(comparison.cluster),
      formatRatio(comparison.ratio),
      formatRatio(comparison.cpuRatio),
    ].join(' | '),
  )
  return [
    '| scenario | target | figure | one Redis | Redis Cluster | cluster / one Redis | CPU × one Redis |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n')
}

/** Req/s and loads above 100 as counts; a small median of loads (1, 1.5) as it is. */
export function formatComparisonValue(value: number): string {
  return value < 100 && !Number.isInteger(value) ? formatNumber(value) : formatCount(value)
}

/** The cells of the consistency table, shared by the Markdown and the HTML report. */
export const CONSISTENCY_HEADER = [
  'target',
  'checks',
  'stale',
  'nines',
  'after a write: checks',
  'stale',
  'sampled reads: checks',
  'stale',
  'stale for (mean)',
]

export function consistencyCells(figures: ConsistencyFigures): string[] {
  const { counters } = figures
  return [
    figures.label,
    formatCount(figures.checks),
    formatCount(figures.stale),
    formatNines(figures),
    formatCount(counters.invalidationChecks),
    formatCount(counters.invalidationStale),
    formatCount(counters.sampleChecks),
    formatCount(counters.sampleStale),
    Number.isFinite(figures.meanStaleAgeMs)
      ? `${(figures.meanStaleAgeMs / 1000).toFixed(1)} s`
      : '–',
  ]
}

/**
 * What each target's consistency monitor found: its checks (after each write, and of sampled
 * cache answers), the stale copies among them, and the nines (−log10 of the stale share).
 */
export function renderConsistencyTable(figures: readonly ConsistencyFigures[]): string {
  return [CONSISTENCY_HEADER, CONSISTENCY_HEADER.map(() => '---'), ...figures.map(consistencyCells)]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n')
}

/** One scenario's per-target figures as a Markdown table, plus its scenario-specific ones. */
export function renderScenarioTable(scenario: ScenarioResult): string {
  const hasIoredis = scenario.targets.some((target) => target.ratios.vsIoredis !== undefined)
  const hasBare = scenario.targets.some((target) => target.ratios.vsBareFastify !== undefined)
  const hasStandalone = scenario.targets.some((target) => target.ratios.vsStandalone !== undefined)
  const header = [
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'errors',
    'DB loads /1k req',
    'L1 hits',
    'L2 hits',
    'stale',
    'misses',
    'CPU µs/req',
    ...(hasBare ? ['× bare Fastify', 'CPU × bare'] : []),
    ...(hasIoredis ? ['× ioredis GET', 'CPU × ioredis'] : []),
    ...(hasStandalone ? ['× one Redis', 'CPU × one Redis'] : []),
  ]
  const rows = scenario.targets.map((target) => {
    const service = target.kind === 'service'
    return [
      target.kind === 'service' ? target.label : `_${target.label}_`,
      formatCount(target.median.rps),
      formatMs(target.median.p50),
      formatMs(target.median.p99),
      formatMs(target.median.p999),
      formatCount(target.errors),
      service ? formatPerThousand(target.loadsPer1000) : '–',
      formatShare(target.hitRatios.l1),
      formatShare(target.hitRatios.l2),
      formatShare(target.hitRatios.stale),
      formatShare(target.hitRatios.miss),
      formatCount(target.median.cpuUsPerRequest),
      ...(hasBare
        ? [formatRatio(target.ratios.vsBareFastify), formatRatio(target.cpuRatios.vsBareFastify)]
        : []),
      ...(hasIoredis
        ? [formatRatio(target.ratios.vsIoredis), formatRatio(target.cpuRatios.vsIoredis)]
        : []),
      ...(hasStandalone
        ? [formatRatio(target.ratios.vsStandalone), formatRatio(target.cpuRatios.vsStandalone)]
        : []),
    ]
  })
  const table = [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`)
  const extras = scenario.targets
    .filter((target) => Object.keys(target.extra).length > 0)
    .map(
      (target) =>
        `- ${target.label}: ${Object.entries(target.extra)
          .map(([name, value]) => `${name} ${formatNumber(value)}`)
          .join(', ')}`,
    )
  const notes = scenario.notes.map((note) => `> ${note}`)
  const consistency = scenario.consistency?.length
    ? ['', 'Consistency monitor:', '', renderConsistencyTable(scenario.consistency)]
    : []
  return [
    ...table,
    ...(extras.length > 0 ? ['', ...extras] : []),
    ...consistency,
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n')
}

/** A Markdown summary of the whole run, written beside the JSON for pasting into the docs. */
export function renderMarkdownReport(results: BenchResults): string {
  const { machine } = results
  const lines = [
    `# Benchmark run ${results.runId} (${results.mode})`,
    '',
    `${results.startedAt}, ${results.durationS} s. Machine: ${machine.cpus} × ${machine.cpuModel}, ` +
      `${machine.memoryGiB} GiB, ${machine.platform} ${machine.kernel}, Node ${machine.node}, ` +
      `Redis ${machine.redis}; load average at start ${machine.loadAverageAtStart.join(', ')}.`,
    '',
    '## Targets',
    '',
    renderChecksTable(results.checks),
    '',
  ]
  if (results.comparisons?.length) {
    const cluster = results.redisCluster
    lines.push(
      '## Redis Cluster vs. one Redis',
      '',
      `The same targets on a Redis Cluster of the run's own` +
        (cluster
          ? ` (${cluster.masters} masters + ${cluster.replicas} replicas, Redis ${cluster.redis})`
          : '') +
        ' and on the one Redis, in the same rounds.',
      '',
      renderComparisonsTable(results.comparisons),
      '',
    )
  }
  for (const scenario of results.scenarios) {
    lines.push(
      `## ${scenario.title}`,
      '',
      scenario.description,
      '',
      renderScenarioTable(scenario),
      '',
    )
  }
  for (const failure of results.failures) {
    lines.push(`## FAILED: ${failure.scenario}`, '', '```', failure.error, '```', '')
  }
  return lines.join('\n')
}
