#!/usr/bin/env node
// Embeds the Redis scripts (`*.lua`) of each folder named into a TypeScript module beside them,
// `lua.generated.ts`, so that the compiled code reads no file at import and survives a bundler.
// The .lua files stay the source: they are what a reader opens and what redis-cli can run.
//
//   node packages/cache/scripts/embed-lua.mjs <folder>...           (re)writes the modules
//   node packages/cache/scripts/embed-lua.mjs --check <folder>...   fails if one is out of date
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const GENERATED = 'lua.generated.ts'

export function embeddedModule(folder) {
  const files = readdirSync(folder)
    .filter((file) => file.endsWith('.lua'))
    .sort()
  const entries = files.map((file) => {
    const lua = readFileSync(join(folder, file), 'utf8')
    return `  ${JSON.stringify(file)}:\n    ${JSON.stringify(lua)},`
  })
  return [
    '// Generated from the *.lua files of this folder by packages/cache/scripts/embed-lua.mjs',
    '// (npm run build). Do not edit: edit the .lua file and build.',
    '',
    '/** Each script of this folder, by file name. */',
    'export const LUA = {',
    ...entries,
    '} as const',
    '',
  ].join('\n')
}

const args = process.argv.slice(2)
const check = args[0] === '--check'
const folders = check ? args.slice(1) : args
if (folders.length === 0) {
  console.error('usage: embed-lua.mjs [--check] <folder>...')
  process.exit(2)
}
let stale = 0
for (const folder of folders) {
  const path = join(folder, GENERATED)
  const wanted = embeddedModule(folder)
  let current = ''
  try {
    current = readFileSync(path, 'utf8')
  } catch {}
  if (current === wanted) continue
  if (check) {
    console.error(`${path} is out of date: run npm run build`)
    stale++
  } else {
    writeFileSync(path, wanted)
  }
}
process.exit(stale ? 1 : 0)
