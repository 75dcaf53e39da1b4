#!/usr/bin/env node
// Checks that the documentation's links lead somewhere: in README.md, docs/*.md and
// packages/cache/README.md, every relative link (inline, image or reference definition) names a
// file or folder of the repository, and every anchor (`#heading`, here or in another page)
// names a heading of that page, slugged as GitHub slugs them (or an explicit `<a id>`). Repository
// paths written in code spans (`src/config.ts`, `test/cluster/race.test.ts`) must exist too.
// External links (http, https, mailto) are not fetched: they are listed as skipped.
//
//   node scripts/check-links.mjs                 exit 1, listing every broken link
//   node scripts/check-links.mjs --root <dir>    the same for another checkout (tests use it)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const rootAt = process.argv.indexOf('--root')
const REPO_ROOT =
  rootAt === -1
    ? resolve(dirname(fileURLToPath(import.meta.url)), '..')
    : resolve(process.argv[rootAt + 1] ?? '.')

function pages() {
  const docs = readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join('docs', name))
  return ['README.md', ...docs, 'packages/cache/README.md'].map((path) => join(REPO_ROOT, path))
}

// ---------------------------------------------------------------------------------------------
// Reading Markdown

/** The page's lines, with fenced code blocks blanked (kept as empty lines, so numbers hold). */
function proseLines(text) {
  let fence
  return text.split('\n').map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)
    if (fence) {
      if (marker && marker[1][0] === fence[0] && marker[1].length >= fence.length) fence = undefined
      return ''
    }
    if (marker) {
      fence = marker[1]
      return ''
    }
    return line
  })
}

/** Code spans of a line: their contents, and the line with them blanked out. */
function splitCodeSpans(line) {
  const spans = []
  const prose = line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (whole, _ticks, content) => {
    spans.push(content.trim())
    return ' '.repeat(whole.length)
  })
  return { spans, prose }
}

/** A heading's text as GitHub renders it: links to their text, emphasis and code marks gone. */
function headingText(raw) {
  // Code spans keep their text as written (`Cache<T>` stays Cache<T>); elsewhere, markup goes.
  return raw
    .split(/(`+[^`]*`+)/)
    .map((part, index) =>
      index % 2 === 1
        ? part.replace(/^`+|`+$/g, '')
        : part
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
            .replace(/<[^>]+>/g, '')
            .replace(/(\*\*|__|\*|_(?=\S)|(?<=\S)_|~~)/g, ''),
    )
    .join('')
    .trim()
}

/** GitHub's slug (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
function slug(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

const anchorCache = new Map()

/** Every anchor a page offers: its headings' slugs (repeats get -1, -2…) and explicit ids. */
function anchorsOf(file) {
  const cached = anchorCache.get(file)
  if (cached) return cached
  const anchors = new Set()
  const seen = new Map()
  const lines = proseLines(readFileSync(file, 'utf8'))
  const add = (text) => {
    const base = slug(headingText(text))
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  lines.forEach((line, index) => {
    const atx = /^\s{0,3}#{1,6}\s+(.*?)(\s+#+\s*)?$/.exec(line)
    if (atx) add(atx[1])
    else if (/^\s{0,3}(=+|-+)\s*$/.test(line) && index > 0 && lines[index - 1].trim() !== '') {
      const previous = lines[index - 1]
      // `---` under a paragraph line is a setext heading; under a list item or table it is not.
      if (!/^\s*([-*+]|\d+\.|\|)/.test(previous)) add(previous)
    }
    for (const match of line.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)="([^"]+)"/g)) {
      anchors.add(match[1])
    }
  })
  anchorCache.set(file, anchors)
  return anchors
}

/** Every link target of a page, with its line: inline links, images, reference definitions, autolinks. */
function linksOf(file) {
  const links = []
  const lines = proseLines(readFileSync(file, 'utf8'))
  lines.forEach((line, index) => {
    const { spans, prose } = splitCodeSpans(line)
    const at = index + 1
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose)
    if (definition) links.push({ target: definition[1], line: at, kind: 'link' })
    for (const match of prose.matchAll(
      /\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+"[^"]*")?\s*\)/g,
    )) {
      links.push({ target: match[1], line: at, kind: 'link' })
    }
    for (const match of prose.matchAll(/<((?:https?|mailto):[^>\s]+)>/g)) {
      links.push({ target: match[1], line: at, kind: 'link' })
    }
    for (const match of prose.matchAll(/<(?:a|img)\s[^>]*(?:href|src)="([^"]+)"/g)) {
      links.push({ target: match[1], line: at, kind: 'link' })
    }
    for (const span of spans) {
      if (looksLikeRepoPath(span)) links.push({ target: span, line: at, kind: 'path' })
    }
  })
  return links
}

// ---------------------------------------------------------------------------------------------
// Paths in code spans

/** Top-level folders whose paths a code span may name; others (dist/, data/) are made at run time. */
const TRACKED_ROOTS = [
  'src/',
  'test/',
  'bench/',
  'docs/',
  'docker/',
  'scripts/',
  'packages/',
  '.ci/',
]

/**
 * `src/config.ts`, `packages/cache/src/redis/acquire.lua`, `test/faults/`: a path from the
 * repository's root, without placeholders, globs or spaces.
 */
function looksLikeRepoPath(span) {
  if (!TRACKED_ROOTS.some((root) => span.startsWith(root))) return false
  if (/[\s<>*{}…?]/.test(span)) return false
  return /^[\w.@/-]+$/.test(span)
}

function repoPathExists(path) {
  const full = join(REPO_ROOT, path)
  if (existsSync(full)) return true
  // Source written with the extension its import uses: `src/queues/catalog-queue.js` is a .ts file.
  return path.endsWith('.js') && existsSync(full.replace(/\.js$/, '.ts'))
}

// ---------------------------------------------------------------------------------------------
// Checking

function check(file, { target, line, kind }) {
  const where = `${relative(REPO_ROOT, file)}:${line}`
  if (kind === 'path') {
    return repoPathExists(target) ? undefined : `${where}: \`${target}\` is not in the repository`
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return { skipped: target }
  const hashAt = target.indexOf('#')
  const pathPart = decodeURIComponent(hashAt === -1 ? target : target.slice(0, hashAt))
  const anchor = hashAt === -1 ? undefined : decodeURIComponent(target.slice(hashAt + 1))
  const destination = pathPart === '' ? file : resolve(dirname(file), pathPart.split('?')[0])
  if (!destination.startsWith(REPO_ROOT)) return `${where}: ${target} leaves the repository`
  if (!existsSync(destination)) return `${where}: ${target}: no such file`
  if (anchor === undefined || anchor === '') return undefined
  if (statSync(destination).isDirectory() || !destination.endsWith('.md')) {
    return `${where}: ${target}: an anchor into a file that is not Markdown`
  }
  if (!anchorsOf(destination).has(anchor)) {
    return `${where}: ${target}: no heading #${anchor} in ${relative(REPO_ROOT, destination)}`
  }
  return undefined
}

function main() {
  const broken = []
  const skipped = new Set()
  let checked = 0
  for (const file of pages()) {
    if (!existsSync(file)) {
      broken.push(`${relative(REPO_ROOT, file)}: missing`)
      continue
    }
    for (const link of linksOf(file)) {
      const result = check(file, link)
      if (typeof result === 'string') broken.push(result)
      else if (result?.skipped) skipped.add(result.skipped)
      else checked++
    }
  }
  for (const url of [...skipped].sort()) console.log(`check-links: skipped (not fetched) ${url}`)
  if (broken.length > 0) {
    for (const problem of broken) console.error(`check-links: ${problem}`)
    console.error(
      `check-links: ${broken.length} broken (${checked} fine, ${skipped.size} external skipped)`,
    )
    process.exit(1)
  }
  console.log(
    `check-links: ${checked} links and paths resolve; ${skipped.size} external links skipped`,
  )
}

main()
