#!/usr/bin/env node
// Writes the generated parts of packages/cache/README.md, so that they cannot drift from the code:
// - between <!-- api:start --> and <!-- api:end -->: the API reference, from the doc comments of
//   what src/index.ts exports (read with the TypeScript compiler API: classes with their public
//   members, functions, interfaces as tables of property | type | default | description, errors,
//   types), plus the types that API uses without exporting them by name;
// - between <!-- quick-start:start --> and <!-- quick-start:end -->: examples/quick-start.mjs.
// The README is then formatted by Biome, as `npm run lint` expects it.
//
//   node packages/cache/scripts/readme.mjs           rewrites the README
//   node packages/cache/scripts/readme.mjs --check   exit 1, saying what is out of date
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const REPO_ROOT = resolve(PACKAGE_DIR, '../..')
const SOURCE_DIR = join(PACKAGE_DIR, 'src')
const README = join(PACKAGE_DIR, 'README.md')
const QUICK_START = join(PACKAGE_DIR, 'examples/quick-start.mjs')

/** Shown first, in this order; whatever else is exported follows in src/index.ts's order. */
const CLASS_ORDER = ['Cache', 'MemoryTier', 'InvalidationBus']
const INTERFACE_ORDER = [
  'CacheOptions',
  'CallOptions',
  'CacheProtections',
  'CircuitBreakerOptions',
  'CacheObserver',
  'CacheLookup',
  'MemoryTierOptions',
  'InvalidationBusOptions',
]

// ---------------------------------------------------------------------------------------------
// Reading the source

function createProgram() {
  const configPath = join(PACKAGE_DIR, 'tsconfig.build.json')
  const config = ts.readConfigFile(configPath, ts.sys.readFile)
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, PACKAGE_DIR)
  return ts.createProgram([join(SOURCE_DIR, 'index.ts')], { ...parsed.options, noEmit: true })
}

/** A doc comment, split into its text (markdown lines) and its `@default`. */
function docOf(node) {
  const jsDocs = ts.getJSDocCommentsAndTags(node).filter((doc) => ts.isJSDoc(doc))
  const jsDoc = jsDocs.at(-1) // the one closest to the declaration
  if (!jsDoc) return { text: '', defaultValue: undefined, internal: false }
  const raw = jsDoc.getSourceFile().text.slice(jsDoc.pos, jsDoc.end)
  const lines = raw
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
  let body = lines.join('\n').trim()
  const internal = /(^|\s)@internal\b/.test(body)
  let defaultValue
  const match = /(^|\s)@default\b\s*([\s\S]*)$/.exec(body)
  if (match) {
    defaultValue = match[2].replace(/\s+/g, ' ').trim()
    body = body.slice(0, match.index).trim()
  }
  body = body.replace(/(^|\s)@internal\b/g, '').trim()
  return { text: fenceIndentedParagraphs(body), defaultValue, internal }
}

/**
 * A paragraph whose every line is indented (`*   {"value": …}` in a comment) is an example:
 * fenced, since Markdown needs four spaces to see code there. List continuations are not
 * touched: their first line starts with `- `.
 */
function fenceIndentedParagraphs(text) {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => {
      const lines = paragraph.split('\n')
      if (!lines.every((line) => /^ {2,}\S/.test(line))) return paragraph
      const cut = Math.min(...lines.map((line) => /^ */.exec(line)[0].length))
      return ['```', ...lines.map((line) => line.slice(cut)), '```'].join('\n')
    })
    .join('\n\n')
}

/** One line, for a table cell. */
function oneLine(text) {
  return text.replace(/\s+/g, ' ').trim()
}

function cell(text) {
  return oneLine(text).replaceAll('|', '\\|')
}

function code(text) {
  const inline = oneLine(text)
  const fence = inline.includes('`') ? '``' : '`'
  return `${fence}${inline}${fence}`
}

/** A `@default` that reads as code (a literal, a path) goes in backticks; prose stays prose. */
function renderDefault(value) {
  if (value === undefined) return ''
  const literal =
    /^(-?[\d_.]+|'[^']*'|"[^"]*"|true|false|null|undefined|\{.*\}|\[.*\]|[A-Za-z_$][\w$]*(\.[\w$]+)+)$/
  return literal.test(value) ? code(value) : value
}

/** Source text of a node with its whitespace collapsed: `a(\n  b: string,\n)` → `a(b: string)`. */
function compact(text) {
  return oneLine(text)
    .replace(/\(\s+/g, '(')
    .replace(/,\s*\)/g, ')')
    .replace(/\s+\)/g, ')')
    .replace(/,\s*\}/g, ' }')
    .replace(/;$/, '')
}

function textOf(node) {
  return node.getText(node.getSourceFile())
}

/** A declaration's text from its name (modifiers and `export` dropped) to its body. */
function signatureText(node, { from = node.name ?? node, prefix = '' } = {}) {
  const source = node.getSourceFile()
  const start = from.getStart(source)
  const end = node.body ? node.body.getStart(source) : node.getEnd()
  return prefix + compact(source.text.slice(start, end))
}

function isHidden(node) {
  if (node.name && ts.isPrivateIdentifier(node.name)) return true
  const flags = ts.getCombinedModifierFlags(node)
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return true
  return docOf(node).internal
}

/** The declarations to show for a function or method: its overloads, or itself when it has none. */
function callableDeclarations(declarations) {
  const overloads = declarations.filter((declaration) => !declaration.body)
  return overloads.length > 0 ? overloads : declarations
}

function docOfDeclarations(declarations) {
  for (const declaration of declarations) {
    const doc = docOf(declaration)
    if (doc.text || doc.defaultValue !== undefined) return doc
  }
  return { text: '', defaultValue: undefined, internal: false }
}

function parameterList(declaration) {
  return declaration.parameters
    .map((parameter) => `${textOf(parameter.name)}${parameter.questionToken ? '?' : ''}`)
    .join(', ')
}

// ---------------------------------------------------------------------------------------------
// Collecting what the package exports

function collectApi() {
  const program = createProgram()
  const checker = program.getTypeChecker()
  const index = program.getSourceFile(join(SOURCE_DIR, 'index.ts'))
  if (!index) throw new Error('src/index.ts not found')
  const moduleSymbol = checker.getSymbolAtLocation(index)
  const exported = checker.getExportsOfModule(moduleSymbol).map((symbol) => ({
    name: symbol.name,
    symbol: symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol,
  }))
  const exportedSymbols = new Set(exported.map(({ symbol }) => symbol))
  return { checker, exported, exportedSymbols }
}

function kindOf(symbol, checker) {
  const declaration = symbol.declarations?.[0]
  if (!declaration) return 'other'
  if (ts.isClassDeclaration(declaration))
    return extendsError(declaration, checker) ? 'error' : 'class'
  if (ts.isInterfaceDeclaration(declaration)) return 'interface'
  if (ts.isFunctionDeclaration(declaration)) return 'function'
  if (ts.isTypeAliasDeclaration(declaration)) return 'type'
  if (ts.isVariableDeclaration(declaration)) return 'constant'
  return 'other'
}

function extendsError(declaration, checker) {
  for (const clause of declaration.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue
    for (const type of clause.types) {
      if (textOf(type.expression) === 'Error') return true
      const symbol = checker.getSymbolAtLocation(type.expression)
      const base =
        symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      const baseDeclaration = base?.declarations?.[0]
      if (baseDeclaration && ts.isClassDeclaration(baseDeclaration)) {
        if (extendsError(baseDeclaration, checker)) return true
      }
    }
  }
  return false
}

function ordered(entries, order) {
  const rank = (name) => {
    const at = order.indexOf(name)
    return at === -1 ? order.length : at
  }
  return entries
    .map((entry, position) => ({ entry, position }))
    .sort((a, b) => rank(a.entry.name) - rank(b.entry.name) || a.position - b.position)
    .map(({ entry }) => entry)
}

/**
 * The package's own types that the nodes' public parts name but src/index.ts does not export:
 * a user meets them (in a hook's argument, a method's result) without an import for them.
 */
function unexportedTypesUsed(roots, checker, exportedSymbols) {
  const found = new Map()
  const queue = [...roots]
  const visit = (node) => {
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const target = ts.isTypeReferenceNode(node) ? node.typeName : node.expression
      let symbol = checker.getSymbolAtLocation(target)
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
      const declaration = symbol?.declarations?.[0]
      if (
        symbol &&
        declaration &&
        !exportedSymbols.has(symbol) &&
        !found.has(symbol) &&
        !(symbol.flags & ts.SymbolFlags.TypeParameter) &&
        declaration.getSourceFile().fileName.startsWith(SOURCE_DIR) &&
        (ts.isInterfaceDeclaration(declaration) || ts.isTypeAliasDeclaration(declaration))
      ) {
        found.set(symbol, { name: symbol.name, symbol })
        queue.push(declaration)
      }
    }
    ts.forEachChild(node, visit)
  }
  while (queue.length > 0) {
    const node = queue.shift()
    for (const part of publicParts(node)) visit(part)
  }
  return [...found.values()]
}

/** What of a declaration a user sees: a class's public member signatures, never a body. */
function publicParts(node) {
  if (ts.isClassDeclaration(node)) {
    return [
      ...(node.heritageClauses ?? []),
      ...node.members.filter((member) => !isHidden(member)).flatMap(publicParts),
    ]
  }
  if (ts.isFunctionLike(node)) {
    return [...node.parameters, ...(node.type ? [node.type] : [])]
  }
  if (ts.isPropertyDeclaration(node)) return node.type ? [node.type] : []
  if (ts.isVariableDeclaration(node)) return node.type ? [node.type] : []
  return [node]
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderClass({ name, symbol }, undocumented) {
  const declaration = symbol.declarations[0]
  const typeParameters = declaration.typeParameters
    ? `<${declaration.typeParameters.map(textOf).join(', ')}>`
    : ''
  const heritage = (declaration.heritageClauses ?? []).map(textOf).join(' ')
  const out = [`#### \`${name}${typeParameters}\`${heritage ? ` (${heritage})` : ''}`, '']
  const doc = docOf(declaration)
  if (doc.text) out.push(doc.text, '')
  const byName = new Map([['constructor', []]]) // the constructor first, then source order
  for (const member of declaration.members) {
    if (isHidden(member) || ts.isClassStaticBlockDeclaration(member)) continue
    if (ts.isSemicolonClassElement(member) || ts.isIndexSignatureDeclaration(member)) continue
    const key = ts.isConstructorDeclaration(member) ? 'constructor' : textOf(member.name)
    const group = byName.get(key) ?? []
    group.push(member)
    byName.set(key, group)
  }
  for (const [memberName, members] of byName) {
    const first = members[0]
    if (!first) continue
    let heading
    let signatures
    if (ts.isConstructorDeclaration(first)) {
      const shown = callableDeclarations(members)
      heading = `\`new ${name}(${parameterList(shown[0])})\``
      signatures = shown.map((member) =>
        signatureText(member).replace(/^constructor/, `new ${name}${typeParameters}`),
      )
    } else if (ts.isMethodDeclaration(first)) {
      const shown = callableDeclarations(members)
      heading = `\`${memberName}(${parameterList(shown[0])})\``
      signatures = shown.map((member) => signatureText(member, { prefix: staticPrefix(member) }))
    } else if (ts.isGetAccessorDeclaration(first) || ts.isSetAccessorDeclaration(first)) {
      const getter = members.find((member) => ts.isGetAccessorDeclaration(member))
      heading = `\`${memberName}\`${getter && members.length === 1 ? ' (read-only)' : ''}`
      signatures = members.map((member) =>
        signatureText(member, {
          prefix: `${staticPrefix(member)}${ts.isGetAccessorDeclaration(member) ? 'get' : 'set'} `,
        }),
      )
    } else if (ts.isPropertyDeclaration(first)) {
      heading = `\`${memberName}\``
      signatures = [propertySignature(first)]
    } else {
      continue
    }
    const memberDoc = docOfDeclarations(members)
    // A constructor's doc is usually its class's.
    if (!memberDoc.text && !ts.isConstructorDeclaration(first)) {
      undocumented.push(`${name}.${memberName}`)
    }
    out.push(`##### ${heading}`, '', '```ts', ...signatures, '```', '')
    if (memberDoc.text) out.push(memberDoc.text, '')
  }
  return out
}

function staticPrefix(member) {
  return ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Static ? 'static ' : ''
}

function propertySignature(member) {
  const flags = ts.getCombinedModifierFlags(member)
  const readonly = flags & ts.ModifierFlags.Readonly ? 'readonly ' : ''
  const optional = member.questionToken ? '?' : ''
  const type = member.type
    ? compact(textOf(member.type))
    : member.initializer
      ? compact(textOf(member.initializer))
      : 'unknown'
  const separator = member.type ? ': ' : ' = '
  return `${staticPrefix(member)}${readonly}${textOf(member.name)}${optional}${separator}${type}`
}

function memberType(member) {
  if (ts.isMethodSignature(member)) {
    const parameters = member.parameters.map(textOf).join(', ')
    return compact(`(${parameters}) => ${member.type ? textOf(member.type) : 'void'}`)
  }
  return member.type ? compact(textOf(member.type)) : 'unknown'
}

function renderInterface({ name, symbol }, undocumented, note = '') {
  const declaration = symbol.declarations[0]
  const typeParameters = declaration.typeParameters
    ? `<${declaration.typeParameters.map(textOf).join(', ')}>`
    : ''
  const out = [`#### \`${name}${typeParameters}\``, '']
  const doc = docOf(declaration)
  if (note) out.push(note, '')
  if (doc.text) out.push(doc.text, '')
  const rows = []
  for (const member of declaration.members) {
    if (!(ts.isPropertySignature(member) || ts.isMethodSignature(member))) continue
    const memberDoc = docOf(member)
    if (memberDoc.internal) continue
    const memberName = textOf(member.name)
    if (!memberDoc.text) undocumented.push(`${name}.${memberName}`)
    rows.push({
      property: `\`${memberName}${member.questionToken ? '?' : ''}\``,
      type: code(memberType(member)).replaceAll('|', '\\|'),
      defaultValue: cell(renderDefault(memberDoc.defaultValue)),
      description: cell(memberDoc.text),
    })
  }
  const withDefaults = rows.some((row) => row.defaultValue !== '')
  const header = withDefaults
    ? ['Property', 'Type', 'Default', 'Description']
    : ['Property', 'Type', 'Description']
  out.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`)
  for (const row of rows) {
    const cells = withDefaults
      ? [row.property, row.type, row.defaultValue, row.description]
      : [row.property, row.type, row.description]
    out.push(`| ${cells.join(' | ')} |`)
  }
  out.push('')
  return out
}

function renderErrors(errors, undocumented) {
  const out = ['| Class | Extends | `code` | When |', '| --- | --- | --- | --- |']
  const constructors = []
  for (const { name, symbol } of errors) {
    const declaration = symbol.declarations[0]
    const base = (declaration.heritageClauses ?? [])
      .filter((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)
      .flatMap((clause) => clause.types.map(textOf))
      .join(', ')
    const codeMember = declaration.members.find(
      (member) => ts.isPropertyDeclaration(member) && member.name && textOf(member.name) === 'code',
    )
    const codeValue = codeMember
      ? codeMember.initializer
        ? code(textOf(codeMember.initializer))
        : code(textOf(codeMember.type))
      : '—'
    const doc = docOf(declaration)
    if (!doc.text) undocumented.push(name)
    const abstract = ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Abstract
    out.push(
      `| \`${name}\`${abstract ? ' (abstract)' : ''} | \`${base}\` | ${codeValue.replaceAll('|', '\\|')} | ${cell(doc.text)} |`,
    )
    const ctor = declaration.members.find((member) => ts.isConstructorDeclaration(member))
    if (ctor && !abstract) {
      constructors.push(signatureText(ctor).replace(/^constructor/, `new ${name}`))
    }
  }
  out.push('')
  if (constructors.length > 0) out.push('```ts', ...constructors, '```', '')
  return out
}

function renderFunction({ name, symbol }, undocumented) {
  const declarations = callableDeclarations(symbol.declarations)
  const doc = docOfDeclarations(symbol.declarations)
  if (!doc.text) undocumented.push(name)
  const out = [`#### \`${name}(${parameterList(declarations[0])})\``, '', '```ts']
  for (const declaration of declarations) {
    out.push(signatureText(declaration, { from: declaration.name, prefix: 'function ' }))
  }
  out.push('```', '')
  if (doc.text) out.push(doc.text, '')
  return out
}

/** A type alias or a constant: its declaration as written (without `export`), and its doc. */
function renderDeclaration({ name, symbol }, undocumented, note = '') {
  const declaration = symbol.declarations[0]
  const statement = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration
  const text = textOf(statement).replace(/^export\s+/, '')
  const doc = docOf(declaration)
  if (!doc.text && !note) undocumented.push(name)
  const out = [`#### \`${name}\``, '']
  if (note) out.push(note, '')
  out.push('```ts', dedent(text), '```', '')
  if (doc.text) out.push(doc.text, '')
  return out
}

function dedent(text) {
  const lines = text.split('\n')
  const indents = lines
    .slice(1)
    .filter((line) => line.trim())
    .map((line) => /^ */.exec(line)[0].length)
  const cut = Math.min(...indents, Number.POSITIVE_INFINITY)
  if (!Number.isFinite(cut) || cut === 0) return text
  return [lines[0], ...lines.slice(1).map((line) => line.slice(Math.min(cut, line.length)))].join(
    '\n',
  )
}

function renderApi() {
  const { checker, exported, exportedSymbols } = collectApi()
  const undocumented = []
  const byKind = (kind) => exported.filter(({ symbol }) => kindOf(symbol, checker) === kind)
  const out = [
    '',
    '<!-- Generated by scripts/readme.mjs from the doc comments in src/: edit those, then run `npm run readme -w @caching-strategies/cache`. -->',
    '',
  ]
  const section = (title, intro, entries, render) => {
    if (entries.length === 0) return
    out.push(`### ${title}`, '')
    if (intro) out.push(intro, '')
    for (const entry of entries) out.push(...render(entry, undocumented))
  }
  section('Classes', '', ordered(byKind('class'), CLASS_ORDER), renderClass)
  section(
    'Options and other interfaces',
    'A `?` marks an optional property. Durations are in the unit their name ends with.',
    ordered(byKind('interface'), INTERFACE_ORDER),
    renderInterface,
  )
  const errors = byKind('error')
  if (errors.length > 0) {
    out.push('### Errors', '', ...renderErrors(errors, undocumented))
  }
  section('Functions', '', byKind('function'), renderFunction)
  section('Types and constants', '', [...byKind('type'), ...byKind('constant')], renderDeclaration)
  const roots = exported.map(({ symbol }) => symbol.declarations?.[0]).filter(Boolean)
  const hidden = unexportedTypesUsed(roots, checker, exportedSymbols)
  section(
    'Types used above but not exported by name',
    'They appear in the signatures above; src/index.ts does not export them, so code that needs one by name derives it (for example `NonNullable<InvalidationBusOptions["observer"]>`).',
    hidden,
    (entry, list) =>
      kindOf(entry.symbol, checker) === 'interface'
        ? renderInterface(entry, list)
        : renderDeclaration(entry, list),
  )
  const other = exported.filter(({ symbol }) => kindOf(symbol, checker) === 'other')
  for (const { name } of other) undocumented.push(`${name} (not rendered: unknown kind)`)
  return { markdown: out.join('\n'), undocumented }
}

function renderQuickStart() {
  const source = readFileSync(QUICK_START, 'utf8').trimEnd()
  return ['', '```js', source, '```', ''].join('\n')
}

// ---------------------------------------------------------------------------------------------
// Writing the README

const SECTIONS = [
  { name: 'api', what: 'the API reference (doc comments in src/)', render: () => renderApi() },
  {
    name: 'quick-start',
    what: 'the quick start (examples/quick-start.mjs)',
    render: () => ({ markdown: renderQuickStart(), undocumented: [] }),
  },
]

function markersOf(name) {
  return { start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` }
}

function sectionOf(readme, name) {
  const { start, end } = markersOf(name)
  const from = readme.indexOf(start)
  const to = readme.indexOf(end)
  if (from === -1 || to === -1 || to < from) return undefined
  return readme.slice(from + start.length, to)
}

function replaceSection(readme, name, content) {
  const { start, end } = markersOf(name)
  const from = readme.indexOf(start)
  const to = readme.indexOf(end)
  return readme.slice(0, from + start.length) + content + readme.slice(to)
}

/** Formats markdown as `biome check` would, so that the lint and this script agree. */
function formatMarkdown(markdown) {
  const require = createRequire(join(REPO_ROOT, 'package.json'))
  let biome
  try {
    biome = require.resolve('@biomejs/biome/bin/biome')
  } catch {
    console.error('readme: @biomejs/biome not found; the README is left unformatted')
    return markdown
  }
  const result = spawnSync(
    process.execPath,
    [biome, 'format', `--stdin-file-path=${relative(REPO_ROOT, README)}`],
    { cwd: REPO_ROOT, input: markdown, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
  if (result.status !== 0) {
    throw new Error(`biome format failed:\n${result.stderr || result.stdout}`)
  }
  return result.stdout
}

/** Where two texts first differ; `firstLine`: the line number of their first line in the README. */
function firstDifference(a, b, firstLine = 1) {
  const left = a.split('\n')
  const right = b.split('\n')
  for (let line = 0; line < Math.max(left.length, right.length); line++) {
    if (left[line] !== right[line]) {
      return `line ${line + firstLine}: README has ${JSON.stringify(left[line] ?? '(end)')}, expected ${JSON.stringify(right[line] ?? '(end)')}`
    }
  }
  return ''
}

function main() {
  const check = process.argv.includes('--check')
  if (!existsSync(README)) {
    console.error(`readme: ${relative(REPO_ROOT, README)} is missing`)
    process.exit(1)
  }
  const current = readFileSync(README, 'utf8')
  let next = current
  const undocumented = []
  for (const section of SECTIONS) {
    if (sectionOf(next, section.name) === undefined) {
      const { start, end } = markersOf(section.name)
      console.error(`readme: ${relative(REPO_ROOT, README)} lacks the markers ${start} … ${end}`)
      process.exit(1)
    }
    const rendered = section.render()
    undocumented.push(...rendered.undocumented)
    next = replaceSection(next, section.name, rendered.markdown)
  }
  next = formatMarkdown(next)
  const readmePath = relative(REPO_ROOT, README)
  if (next === current) {
    if (!check) console.log(`readme: ${readmePath} is up to date`)
    return
  }
  if (check) {
    const stale = SECTIONS.filter(
      (section) => sectionOf(current, section.name) !== sectionOf(next, section.name),
    )
    for (const section of stale) {
      const { start } = markersOf(section.name)
      const firstLine = current.slice(0, current.indexOf(start)).split('\n').length
      const diff = firstDifference(
        sectionOf(current, section.name) ?? '',
        sectionOf(next, section.name) ?? '',
        firstLine,
      )
      console.error(`readme: ${readmePath}: ${section.what} is out of date (${diff})`)
    }
    if (stale.length === 0) {
      console.error(
        `readme: ${readmePath} is not formatted as Biome formats it (${firstDifference(current, next)})`,
      )
    }
    console.error('Run: npm run readme -w @caching-strategies/cache')
    process.exit(1)
  }
  writeFileSync(README, next)
  console.log(`readme: wrote ${readmePath}`)
  if (undocumented.length > 0) {
    console.log(`readme: no doc comment on ${undocumented.join(', ')}`)
  }
}

main()
