/** How numbers read in the report; "–" for anything not measured or not applicable. */
const DASH = '–'

export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : DASH
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return DASH
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)
}

export function formatRatio(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? `${value.toFixed(2)}×` : DASH
}

export function formatShare(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : DASH
}

export function formatPerThousand(value: number): string {
  if (!Number.isFinite(value)) return DASH
  return value >= 100 ? value.toFixed(0) : value.toFixed(2)
}

/** For extra figures whose scale is unknown: integers as counts, others with 3 digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return DASH
  return Number.isInteger(value) ? formatCount(value) : value.toPrecision(3)
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}
