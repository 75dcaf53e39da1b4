import { TIMELINE_BIN_MS } from '../load-driver.js'
import type { RunMeasurement, ScenarioResult, TargetResult } from '../results.js'
import { formatCount, formatMs, formatPerThousand } from './format.js'
import { renderBarChart } from './svg-bar-chart.js'
import { renderTimelineChart, type Series } from './svg-timeline-chart.js'

export interface NamedChart {
  /** Short and file-name safe: `rps`, `p99`, `timeline`. */
  name: string
  svg: string
}

/** The charts of one scenario: bars for req/s, p99 and database loads, and a timeline if telling. */
export function scenarioCharts(scenario: ScenarioResult): NamedChart[] {
  const bars = (value: (target: TargetResult) => number, targets = scenario.targets) =>
    targets.map((target) => ({
      label: target.label,
      value: value(target),
      reference: target.kind !== 'service',
    }))
  const charts: NamedChart[] = [
    {
      name: 'rps',
      svg: renderBarChart({
        title: `${scenario.title}: requests per second (median of rounds)`,
        bars: bars((target) => target.median.rps),
        format: formatCount,
      }),
    },
    {
      name: 'p99',
      svg: renderBarChart({
        title: `${scenario.title}: p99 latency, ms (median of rounds)`,
        bars: bars((target) => target.median.p99),
        format: (value) => `${formatMs(value)} ms`,
      }),
    },
  ]
  const services = scenario.targets.filter((target) => target.kind === 'service')
  if (services.some((target) => target.loadsPer1000 > 0)) {
    charts.push({
      name: 'db-loads',
      svg: renderBarChart({
        title: `${scenario.title}: database loads per 1,000 requests`,
        bars: bars((target) => target.loadsPer1000, services),
        format: formatPerThousand,
      }),
    })
  }
  const timeline = timelineChart(scenario)
  if (timeline) charts.push({ name: 'timeline', svg: timeline })
  return charts
}

function timelineChart(scenario: ScenarioResult): string | undefined {
  const lastRound = (target: TargetResult): RunMeasurement | undefined => target.rounds.at(-1)
  // The last bin is cut short by the end of the run: it would draw a false drop.
  const wholeBins = (run: RunMeasurement | undefined) =>
    run ? run.timeline.filter((bin) => bin.startMs + TIMELINE_BIN_MS <= run.elapsedMs) : []
  const seconds = (bin: { startMs: number }) => (bin.startMs + TIMELINE_BIN_MS / 2) / 1000
  if (scenario.name === 'expiry') {
    const shown = scenario.targets.filter((target) =>
      ['full', 'naive', 'full-steady'].includes(target.id),
    )
    const series: Series[] = shown.map((target) => ({
      name: target.label,
      points: wholeBins(lastRound(target)).map((bin) => [seconds(bin), bin.maxLatencyMs] as const),
    }))
    return renderTimelineChart({
      title: 'Slowest response in each 250 ms (last round): the naive cliff at every expiry',
      yLabel: 'max latency, ms',
      series,
    })
  }
  if (scenario.name === 'redis-outage') {
    const series: Series[] = scenario.targets.map((target) => ({
      name: target.label,
      points: wholeBins(lastRound(target)).map(
        (bin) => [seconds(bin), (bin.responses * 1000) / TIMELINE_BIN_MS] as const,
      ),
    }))
    const events = scenario.targets[0]?.rounds.at(-1)?.events ?? []
    return renderTimelineChart({
      title: 'Requests per second over the last round; Redis killed, then restarted',
      yLabel: 'req/s',
      series,
      markers: events.map((event) => ({ atS: event.atMs / 1000, label: event.label })),
    })
  }
  return undefined
}
