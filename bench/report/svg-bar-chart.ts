import { escapeHtml } from './format.js'

export interface Bar {
  label: string
  value: number
  /** References are drawn in grey, strategies in colour. */
  reference?: boolean
}

export interface BarChart {
  title: string
  bars: readonly Bar[]
  format: (value: number) => string
}

const WIDTH = 760
const LABEL_WIDTH = 300
const VALUE_WIDTH = 90
const BAR_HEIGHT = 22
const GAP = 6
const TOP = 30

/** A horizontal bar chart as standalone SVG markup: no script, no external resource. */
export function renderBarChart(chart: BarChart): string {
  const finite = chart.bars.filter((bar) => Number.isFinite(bar.value))
  const max = Math.max(...finite.map((bar) => bar.value), 0)
  const height = TOP + chart.bars.length * (BAR_HEIGHT + GAP) + 8
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const rows = chart.bars.map((bar, index) => {
    const y = TOP + index * (BAR_HEIGHT + GAP)
    const length = Number.isFinite(bar.value) && max > 0 ? Math.max(1, (bar.value / max) * span) : 0
    const fill = bar.reference ? '#9aa5b1' : '#2f6fb3'
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT * 0.7}" text-anchor="end">${escapeHtml(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${length.toFixed(1)}" height="${BAR_HEIGHT}" fill="${fill}" rx="2"/>`,
      `<text x="${(LABEL_WIDTH + length + 6).toFixed(1)}" y="${y + BAR_HEIGHT * 0.7}">${escapeHtml(chart.format(bar.value))}</text>`,
    ].join('')
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" font-family="system-ui, sans-serif" font-size="13" role="img" aria-label="${escapeHtml(chart.title)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-weight="600">${escapeHtml(chart.title)}</text>`,
    ...rows,
    '</svg>',
  ].join('\n')
}
