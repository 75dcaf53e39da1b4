import type { BenchResults, ScenarioResult, TargetCheck } from '../results.js'
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

/** One scenario's per-target figures as a Markdown table, plus its scenario-specific ones. */
export function renderScenarioTable(scenario: ScenarioResult): string {
  const hasIoredis = scenario.targets.some((target) => target.ratios.vsIoredis !== undefined)
  const hasBare = scenario.targets.some((target) => target.ratios.vsBareFastify !== undefined)
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
  return [...table, ...(extras.length > 0 ? ['', ...extras] : [])].join('\n')
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
