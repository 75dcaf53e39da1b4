import { escapeHtml } from './format.js'

export interface Series {
  name: string
  /** [seconds since the start, value] */
  points: ReadonlyArray<readonly [number, number]>
}

export interface TimelineChart {
  title: string
  yLabel: string
  series: readonly Series[]
  /** Vertical lines, e.g. "redis killed" at 2.0 s. */
  markers?: ReadonlyArray<{ atS: number; label: string }>
}

const WIDTH = 900
const HEIGHT = 280
const LEFT = 60
const RIGHT = 290
const TOP = 30
const BOTTOM = 40
const COLOURS = ['#2f6fb3', '#d1495b', '#edae49', '#00798c', '#66a182', '#8d6a9f']

/** A line chart over time as standalone SVG markup, one line per series, legend on the right. */
export function renderTimelineChart(chart: TimelineChart): string {
  const all = chart.series.flatMap((series) => series.points)
  const maxX = Math.max(...all.map(([x]) => x), ...(chart.markers ?? []).map((m) => m.atS), 1)
  const maxY = niceCeiling(Math.max(...all.map(([, y]) => y).filter(Number.isFinite), 1))
  const plotWidth = WIDTH - LEFT - RIGHT
  const plotHeight = HEIGHT - TOP - BOTTOM
  const x = (value: number) => LEFT + (value / maxX) * plotWidth
  const y = (value: number) => TOP + plotHeight - (value / maxY) * plotHeight

  const grid = [0, 0.25, 0.5, 0.75, 1].map((share) => {
    const value = maxY * share
    return (
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#e4e7eb"/>` +
      `<text x="${LEFT - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end">${formatTick(value)}</text>`
    )
  })
  const xTicks = Array.from({ length: Math.floor(maxX) + 1 }, (_, second) => second)
    .filter((second) => maxX <= 10 || second % 2 === 0)
    .map(
      (second) =>
        `<text x="${x(second).toFixed(1)}" y="${TOP + plotHeight + 16}" text-anchor="middle">${second}</text>`,
    )
  const markers = (chart.markers ?? []).map(
    (marker) =>
      `<line x1="${x(marker.atS).toFixed(1)}" x2="${x(marker.atS).toFixed(1)}" y1="${TOP}" y2="${TOP + plotHeight}" stroke="#555" stroke-dasharray="4 3"/>` +
      `<text x="${(x(marker.atS) + 4).toFixed(1)}" y="${TOP + 12}" font-size="11">${escapeHtml(marker.label)}</text>`,
  )
  const lines = chart.series.map((series, index) => {
    const colour = COLOURS[index % COLOURS.length]
    const path = series.points
      .filter(([, value]) => Number.isFinite(value))
      .map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`)
      .join(' ')
    const legendY = TOP + 14 + index * 18
    return (
      `<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${path}"/>` +
      `<rect x="${LEFT + plotWidth + 12}" y="${legendY - 9}" width="12" height="4" fill="${colour}"/>` +
      `<text x="${LEFT + plotWidth + 30}" y="${legendY - 3}" font-size="11">${escapeHtml(series.name)}</text>`
    )
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="${escapeHtml(chart.title)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-weight="600" font-size="13">${escapeHtml(chart.title)}</text>`,
    ...grid,
    ...xTicks,
    `<text x="${LEFT + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle">seconds</text>`,
    `<text x="14" y="${TOP + plotHeight / 2}" transform="rotate(-90 14 ${TOP + plotHeight / 2})" text-anchor="middle">${escapeHtml(chart.yLabel)}</text>`,
    ...markers,
    ...lines,
    '</svg>',
  ].join('\n')
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

function formatTick(value: number): string {
  if (value >= 1000) return `${(value / 1000).toFixed(value % 1000 === 0 ? 0 : 1)}k`
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}
