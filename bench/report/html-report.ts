import type { BenchResults, ScenarioResult, TargetCheck, TopologyComparison } from '../results.js'
import {
  escapeHtml,
  formatCount,
  formatMs,
  formatNumber,
  formatPerThousand,
  formatRatio,
  formatShare,
} from './format.js'
import { CONSISTENCY_HEADER, consistencyCells, formatComparisonValue } from './markdown-report.js'
import { scenarioCharts } from './scenario-charts.js'

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1f2933; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d9dee3; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d9dee3; padding: .3rem .55rem; text-align: right; }
th { background: #f3f5f7; } td:first-child, th:first-child { text-align: left; }
tr.reference td { color: #52606d; font-style: italic; }
.met { color: #1b7f3b; font-weight: 600; } .missed { color: #b42318; font-weight: 600; }
.charts svg { display: block; margin: .8rem 0; max-width: 100%; height: auto; }
.muted { color: #616e7c; } pre { background: #f3f5f7; padding: .8rem; overflow-x: auto; }
`

/** The whole report as one HTML file: inline CSS and SVG, no script, nothing fetched. */
export function renderHtmlReport(results: BenchResults): string {
  const { machine } = results
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cache benchmark ${escapeHtml(results.runId)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Cache benchmark — run ${escapeHtml(results.runId)} (${results.mode})</h1>
<p class="muted">${escapeHtml(results.startedAt)} · ${results.durationS} s ·
<code>${escapeHtml(results.command)}</code></p>
<p>Machine: ${machine.cpus} × ${escapeHtml(machine.cpuModel)}, ${machine.memoryGiB} GiB RAM,
${escapeHtml(machine.platform)} ${escapeHtml(machine.kernel)}, Node ${escapeHtml(machine.node)},
Redis ${escapeHtml(machine.redis)}. Load average at start ${machine.loadAverageAtStart.join(', ')},
at the end ${(machine.loadAverageAtEnd ?? []).join(', ')}. The servers, the load generator and Redis share
these cores: read ratios, not absolute figures.</p>
<h2>Targets</h2>
${checksTable(results.checks)}
${results.comparisons?.length ? comparisonsSection(results) : ''}
${results.failures.map((failure) => `<h2 class="missed">Failed: ${escapeHtml(failure.scenario)}</h2><pre>${escapeHtml(failure.error)}</pre>`).join('\n')}
${results.scenarios.map(scenarioSection).join('\n')}
<p class="muted">Cleanup: ${results.cleanup.deletedKeys} Redis keys deleted${results.cleanup.clusterKeys ? ` (${results.cleanup.clusterKeys} on the Redis Cluster's masters)` : ''},
${results.cleanup.processesLeft} processes left running.</p>
</body>
</html>
`
}

function checksTable(checks: readonly TargetCheck[]): string {
  const rows = checks.map(
    (check) => `<tr>
<td class="${check.met ? 'met' : 'missed'}">${check.met ? '✓ met' : '✗ missed'}</td>
<td style="text-align:left">${escapeHtml(check.title)}</td><td>${escapeHtml(check.goal)}</td>
<td>${escapeHtml(check.measured)}</td><td style="text-align:left" class="muted">${escapeHtml(check.detail)}</td></tr>`,
  )
  return `<table><tr><th></th><th>target</th><th>goal</th><th>measured</th><th>detail</th></tr>${rows.join('')}</table>`
}

function comparisonsSection(results: BenchResults): string {
  const cluster = results.redisCluster
  const what = cluster
    ? ` (${cluster.masters} masters + ${cluster.replicas} replicas, Redis ${escapeHtml(cluster.redis)}, formed in ${cluster.formedInMs} ms)`
    : ''
  return `<h2>Redis Cluster vs. one Redis</h2>
<p>The same targets on a Redis Cluster of the run's own${what} and on the one Redis, in the same
rounds. req/s: the median of the per-round ratios; loads: the ratio of the medians.</p>
${comparisonsTable(results.comparisons ?? [])}`
}

function comparisonsTable(comparisons: readonly TopologyComparison[]): string {
  const rows = comparisons.map(
    (comparison) => `<tr><td>${escapeHtml(comparison.scenario)}</td>
<td style="text-align:left">${escapeHtml(comparison.label)}</td><td>${escapeHtml(comparison.metric)}</td>
<td>${formatComparisonValue(comparison.standalone)}</td><td>${formatComparisonValue(comparison.cluster)}</td>
<td>${formatRatio(comparison.ratio)}</td><td>${formatRatio(comparison.cpuRatio)}</td>
<td style="text-align:left" class="muted">${escapeHtml(comparison.detail)}</td></tr>`,
  )
  return `<table><tr><th>scenario</th><th>target</th><th>figure</th><th>one Redis</th><th>Redis Cluster</th><th>cluster / one Redis</th><th>CPU × one Redis</th><th>detail</th></tr>${rows.join('')}</table>`
}

function consistencyTable(scenario: ScenarioResult): string {
  const rows = (scenario.consistency ?? []).map(
    (figures) =>
      `<tr>${consistencyCells(figures)
        .map((cell) => `<td>${escapeHtml(cell)}</td>`)
        .join('')}</tr>`,
  )
  return `<h3>Consistency monitor</h3>
<table><tr>${CONSISTENCY_HEADER.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr>${rows.join('')}</table>
<p class="muted">Checks over the whole scenario (warm-up included, and the last writes' checks
waited for): after each write, whether this instance's L1 or Redis still held an older version;
and a few cache answers a second compared with the database. Nines: −log10 of the stale share
(≥: no stale check, so only what the number of checks can vouch for).</p>`
}

function scenarioSection(scenario: ScenarioResult): string {
  const hasBare = scenario.targets.some((target) => target.ratios.vsBareFastify !== undefined)
  const hasIoredis = scenario.targets.some((target) => target.ratios.vsIoredis !== undefined)
  const hasStandalone = scenario.targets.some((target) => target.ratios.vsStandalone !== undefined)
  const header = [
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'errors',
    'DB loads /1k req',
    'L1',
    'L2',
    'stale',
    'miss',
    'CPU µs/req',
    ...(hasBare ? ['× bare', 'CPU × bare'] : []),
    ...(hasIoredis ? ['× ioredis', 'CPU × ioredis'] : []),
    ...(hasStandalone ? ['× one Redis', 'CPU × one Redis'] : []),
  ]
  const rows = scenario.targets.map((target) => {
    const cells = [
      escapeHtml(target.label),
      formatCount(target.median.rps),
      formatMs(target.median.p50),
      formatMs(target.median.p99),
      formatMs(target.median.p999),
      formatMs(target.median.max),
      formatCount(target.errors),
      target.kind === 'service' ? formatPerThousand(target.loadsPer1000) : '–',
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
    const kind = target.kind === 'service' ? '' : ' class="reference"'
    return `<tr${kind}>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`
  })
  const extras = scenario.targets
    .filter((target) => Object.keys(target.extra).length > 0)
    .map(
      (target) =>
        `<li>${escapeHtml(target.label)}: ${Object.entries(target.extra)
          .map(([name, value]) => `${escapeHtml(name)} ${formatNumber(value)}`)
          .join(', ')}</li>`,
    )
  const settings = Object.entries(scenario.settings)
    .map(([name, value]) => `${escapeHtml(name)} = ${escapeHtml(String(value))}`)
    .join(', ')
  const perRound = scenario.targets.map(
    (target) =>
      `<li>${escapeHtml(target.label)}: ${target.rounds
        .map((run) => `${formatCount(run.rps)} req/s, p99 ${formatMs(run.latency.p99)} ms`)
        .join(' · ')}</li>`,
  )
  return `<section>
<h2>${escapeHtml(scenario.title)}</h2>
<p>${escapeHtml(scenario.description)}</p>
<p class="muted">${settings}</p>
${scenario.notes.map((note) => `<p><em>${escapeHtml(note)}</em></p>`).join('\n')}
${scenario.checks.length > 0 ? checksTable(scenario.checks) : ''}
${scenario.comparisons?.length ? comparisonsTable(scenario.comparisons) : ''}
<table><tr>${header.map((cell) => `<th>${cell}</th>`).join('')}</tr>${rows.join('')}</table>
<p class="muted">Medians over rounds; errors, loads and hit shares over every round. L1/L2/stale/miss:
share of the cache's reads answered that way (– for no cache).</p>
${extras.length > 0 ? `<ul>${extras.join('')}</ul>` : ''}
${scenario.consistency?.length ? consistencyTable(scenario) : ''}
<details><summary>Each round</summary><ul>${perRound.join('')}</ul></details>
<div class="charts">${scenarioCharts(scenario)
    .map((chart) => chart.svg)
    .join('\n')}</div>
</section>`
}
