import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BenchResults } from '../results.js'
import { renderHtmlReport } from './html-report.js'
import { renderMarkdownReport } from './markdown-report.js'
import { scenarioCharts } from './scenario-charts.js'

/**
 * Writes `<stamp>.json`, the self-contained `<stamp>.html`, a Markdown summary `<stamp>.md`
 * and every chart as its own SVG in `<stamp>-charts/` (for docs/BENCHMARKS.md) into `dir`.
 * Returns the paths of the first three.
 */
export async function writeReport(
  dir: string,
  results: BenchResults,
  options: { json?: boolean } = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const stamp = results.startedAt.replace(/[:.]/g, '-')
  const json = join(dir, `${stamp}.json`)
  const html = join(dir, `${stamp}.html`)
  const markdown = join(dir, `${stamp}.md`)
  if (options.json !== false) await writeFile(json, `${JSON.stringify(results, null, 2)}\n`)
  await writeFile(html, renderHtmlReport(results))
  await writeFile(markdown, renderMarkdownReport(results))
  const charts = join(dir, `${stamp}-charts`)
  await mkdir(charts, { recursive: true })
  for (const scenario of results.scenarios) {
    for (const chart of scenarioCharts(scenario)) {
      await writeFile(join(charts, `${scenario.name}-${chart.name}.svg`), `${chart.svg}\n`)
    }
  }
  return [json, html, markdown]
}
