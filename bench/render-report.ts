/**
 * Renders the HTML, Markdown and SVG charts of a run again from its JSON, beside it (after a
 * change to the report, or to refresh docs/BENCHMARKS.md's charts) without running anything:
 *
 *   node --import tsx bench/render-report.ts bench/results/<stamp>.json
 */
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { writeReport } from './report/write-report.js'
import type { BenchResults } from './results.js'

const file = process.argv[2]
if (!file) {
  console.error('usage: bench/render-report.ts <results.json>')
  process.exit(2)
}
const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults
const written = await writeReport(dirname(file), results, { json: false })
console.log(`wrote ${written.slice(1).join(', ')} and the charts`)
