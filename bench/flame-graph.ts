/**
 * Reads a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --cpu-prof`), prints the
 * functions with the most self time and the heaviest call paths, and writes an SVG flame graph
 * (an icicle: callers on top, width = share of samples) beside it.
 *
 *   node --import tsx bench/flame-graph.ts <file.cpuprofile> [--top 25] [--focus <function>]
 *     [--requests <n>]
 *
 * --focus keeps only the stacks that pass through a function (e.g. a route handler), so the
 * graph shows what one request path costs, without the idle time and the load of the others.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { escapeHtml } from './report/format.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
}

interface Frame {
  name: string
  self: number
  total: number
  children: Map<string, Frame>
}

const WIDTH = 1200
const ROW = 16
const MIN_WIDTH_PX = 0.6

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      focus: { type: 'string' },
      requests: { type: 'string' },
    },
  })
  const file = positionals[0]
  if (!file) throw new Error('usage: bench/flame-graph.ts <file.cpuprofile> [--top N] [--focus fn]')
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  const root = buildTree(profile, values.focus)
  const durationMs = (profile.endTime - profile.startTime) / 1000
  const idle = root.children.get('(idle)')?.total ?? 0
  const busy = root.total - idle
  const top = Number(values.top)
  console.log(`${file}: ${root.total} samples over ${durationMs.toFixed(0)} ms, ${busy} busy`)
  const msPerSample = durationMs / Math.max(1, root.total)
  const requests = values.requests ? Number(values.requests) : undefined
  const share = (count: number) =>
    requests
      ? `${((count * msPerSample * 1000) / requests).toFixed(2).padStart(7)} µs`
      : `${((count / busy) * 100).toFixed(1).padStart(6)}%`
  if (requests) {
    console.log(`busy CPU per request: ${((busy * msPerSample * 1000) / requests).toFixed(1)} µs`)
  }
  console.log(
    `\nSelf time, share of busy samples${values.focus ? ` through ${values.focus}` : ''}:`,
  )
  for (const [name, self] of selfTimes(root)
    .filter(([name]) => name !== '(idle)')
    .slice(0, top)) {
    console.log(`${share(self)}  ${name}`)
  }
  console.log('\nTotal time (self + callees) of the application and library frames:')
  for (const [name, total] of totalTimes(root).slice(0, top))
    console.log(`${share(total)}  ${name}`)
  const svgFile = file.replace(/\.cpuprofile$/, '') + (values.focus ? '.focus.svg' : '.svg')
  await writeFile(svgFile, renderFlameGraph(root, file))
  console.log(`\nflame graph: ${svgFile}`)
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/')
  const where = file ? ` ${file.replace(/^.*\/(dist|src|bench)\//, '$1/')}:${lineNumber + 1}` : ''
  return `${functionName || '(anonymous)'}${where}`
}

/** Folds the profile into a tree of frames by call path; with `focus`, only paths through it. */
function buildTree(profile: CpuProfile, focus: string | undefined): Frame {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const root: Frame = { name: 'all', self: 0, total: 0, children: new Map() }
  const walk = (id: number, path: ProfileNode[]) => {
    const node = byId.get(id)
    if (!node) return
    const stack = [...path, node]
    const hits = node.hitCount ?? 0
    if (hits > 0) {
      const names = stack.slice(1).map(frameName) // drop V8's "(root)"
      const start = focus
        ? names.findIndex((name) => name.startsWith(`${focus} `) || name === focus)
        : 0
      if (start >= 0) add(root, focus ? names.slice(start) : names, hits)
    }
    for (const child of node.children ?? []) walk(child, stack)
  }
  const first = profile.nodes[0]
  if (first) walk(first.id, [])
  return root
}

function add(root: Frame, names: string[], hits: number): void {
  root.total += hits
  let frame = root
  for (const name of names) {
    let child = frame.children.get(name)
    if (!child) {
      child = { name, self: 0, total: 0, children: new Map() }
      frame.children.set(name, child)
    }
    child.total += hits
    frame = child
  }
  frame.self += hits
}

function selfTimes(root: Frame): Array<[string, number]> {
  const totals = new Map<string, number>()
  const visit = (frame: Frame) => {
    if (frame.self > 0) totals.set(frame.name, (totals.get(frame.name) ?? 0) + frame.self)
    for (const child of frame.children.values()) visit(child)
  }
  visit(root)
  return [...totals].sort((a, b) => b[1] - a[1])
}

/** Time under each frame (counted once per stack, however deep the recursion). */
function totalTimes(root: Frame): Array<[string, number]> {
  const totals = new Map<string, number>()
  const visit = (frame: Frame, onStack: Set<string>) => {
    if (!onStack.has(frame.name) && frame !== root) {
      totals.set(frame.name, (totals.get(frame.name) ?? 0) + frame.total)
    }
    const next = new Set(onStack).add(frame.name)
    for (const child of frame.children.values()) visit(child, next)
  }
  visit(root, new Set())
  return [...totals]
    .filter(([name]) => /(dist|src|bench)\/|~\//.test(name))
    .sort((a, b) => b[1] - a[1])
}

function renderFlameGraph(root: Frame, title: string): string {
  const rects: string[] = []
  let depth = 0
  const scale = root.total > 0 ? WIDTH / root.total : 0
  const draw = (frame: Frame, x: number, level: number) => {
    const width = frame.total * scale
    if (width < MIN_WIDTH_PX) return
    depth = Math.max(depth, level)
    const y = 24 + level * ROW
    const share = ((frame.total / root.total) * 100).toFixed(1)
    const hue =
      frame.name.includes('node:') || frame.name.includes('(')
        ? 30
        : frame.name.includes('~/')
          ? 200
          : 10
    const label = width > 40 ? escapeHtml(frame.name).slice(0, Math.floor(width / 6.5)) : ''
    rects.push(
      `<g><title>${escapeHtml(frame.name)} — ${share}%</title>` +
        `<rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${ROW - 1}" fill="hsl(${hue},70%,${60 + (level % 3) * 6}%)"/>` +
        `<text x="${(x + 3).toFixed(1)}" y="${y + 11}">${label}</text></g>`,
    )
    let childX = x
    const children = [...frame.children.values()].sort((a, b) => b.total - a.total)
    for (const child of children) {
      draw(child, childX, level + 1)
      childX += child.total * scale
    }
  }
  draw(root, 0, 0)
  const height = 24 + (depth + 1) * ROW + 8
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace" font-size="10">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="4" y="16" font-size="12">${escapeHtml(title)} — hover a frame for its share</text>`,
    ...rects,
    '</svg>',
    '',
  ].join('\n')
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
