#!/usr/bin/env node
// Checks the package as npm would publish it, the way a user meets it:
// 1. `npm pack` (its prepack builds) holds only package.json, README.md, LICENSE and the build
//    (dist/**/*.js and *.d.ts): no sources, tests, scripts, source maps, examples or Lua files;
// 2. the tarball installs alone, with ioredis, into an empty project outside this repository
//    (so nothing resolves through the workspace), whose TypeScript finds the package's types;
// 3. examples/quick-start.mjs, copied there, runs against Redis at REDIS_URL (default
//    redis://127.0.0.1:6379), prints what the README says and exits 0 by itself.
// Removes what it made, and prints a short summary. Exit 1, saying why, on any failure.
//
//   node packages/cache/scripts/check-pack.mjs
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const REPO_ROOT = resolve(PACKAGE_DIR, '../..')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** Every path the tarball may hold. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^dist\/(.+\/)?[^/]+\.js$/,
  /^dist\/(.+\/)?[^/]+\.d\.ts$/,
]
const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']

/** What examples/quick-start.mjs prints, line by line (the README quotes the same). */
const EXPECTED_OUTPUT = [
  /^miss: miss, \{"id":"42","name":"Mug","priceCents":1299\}, 1 database query$/,
  /^hit: hit from l1, \{"id":"42","name":"Mug","priceCents":1299\}, 0 database queries$/,
  /^stampede: 100 concurrent reads, 1 database query, every read got the same value$/,
  /^after set: hit from l1, \{"id":"42","name":"Mug","priceCents":999\}, 0 database queries$/,
  /^after delete: miss, null, 1 database query$/,
  /^absent, cached: hit from l1, null, 0 database queries$/,
  /^done: closed, keys cleaned up$/,
]

/** Uses the package's public types as a user would; `tsc` must accept it. */
const TYPES_CHECK = `import { Cache, type CacheOptions, createRedisClient, LoaderTimeoutError, MemoryTier } from '@caching-strategies/cache'

const redis = createRedisClient('redis://127.0.0.1:6379', { commandTimeoutMs: 100 })
const options: CacheOptions<{ id: string }> = { name: 'typed', redis, l1: new MemoryTier() }
const cache = new Cache(options)
export async function read(id: string): Promise<string | undefined> {
  try {
    const lookup = await cache.getOrSet(id, async () => ({ id }))
    return lookup.value?.id
  } catch (error) {
    if (error instanceof LoaderTimeoutError) return error.code
    throw error
  }
}
`

const started = performance.now()
const temporary = []
const since = (from) => `${((performance.now() - from) / 1000).toFixed(1)} s`

function fail(message) {
  console.error(`check-pack: ${message}`)
  cleanUp()
  process.exit(1)
}

function cleanUp() {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** Runs a command; fails the check with its output unless it exits 0. */
function run(command, args, options) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: { ...process.env, ...options.env },
  })
  if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) {
    const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`
    fail(`${command} ${args.join(' ')} failed (${why}):\n${result.stdout}\n${result.stderr}`)
  }
  return result
}

function makeTemporaryDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  temporary.push(dir)
  return dir
}

// Run from an npm script, this process has npm's lifecycle variables (the package, the workspace
// it ran in): none of them may leak into the packing or the user's project. Settings such as
// npm_config_registry or npm_config_cache are kept.
const npmEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) =>
      /^(npm_lifecycle_|npm_package_|npm_command$|npm_config_workspaces?$|INIT_CWD$)/.test(name),
    )
    .map((name) => [name, undefined]),
)

// 1. Pack: prepack builds.
const packDir = makeTemporaryDir('cache-pack-')
let phase = performance.now()
const packed = run(NPM, ['pack', '--json', '--pack-destination', packDir], {
  cwd: PACKAGE_DIR,
  env: npmEnv,
})
let pack
try {
  pack = JSON.parse(packed.stdout)[0]
} catch {
  fail(`npm pack --json answered something else than JSON:\n${packed.stdout}`)
}
const files = pack.files.map((file) => file.path).sort()
const unexpected = files.filter((path) => !ALLOWED.some((pattern) => pattern.test(path)))
if (unexpected.length > 0) {
  fail(`the tarball holds files it should not: ${unexpected.join(', ')}`)
}
const missing = REQUIRED.filter((path) => !files.includes(path))
if (missing.length > 0) fail(`the tarball lacks ${missing.join(', ')}`)
const tarball = join(packDir, pack.filename)
const packTime = since(phase)

// 2. Install the tarball alone into an empty project outside the repository.
const project = makeTemporaryDir('cache-consumer-')
if (project.startsWith(`${REPO_ROOT}/`)) fail(`the temporary project ${project} is inside the repo`)
phase = performance.now()
run(NPM, ['init', '-y'], { cwd: project, env: npmEnv })
run(NPM, ['pkg', 'set', 'type=module'], { cwd: project, env: npmEnv })
run(NPM, ['install', '--no-audit', '--no-fund', tarball, 'ioredis@^5.9'], {
  cwd: project,
  env: npmEnv,
})
const installTime = since(phase)

// The types, as a TypeScript user's project resolves them (no @types/node: the package's
// declarations must not need it to be used).
phase = performance.now()
writeFileSync(join(project, 'check-types.ts'), TYPES_CHECK)
const tsc = createRequire(join(REPO_ROOT, 'package.json')).resolve('typescript/bin/tsc')
writeFileSync(
  join(project, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      types: [],
    },
    files: ['check-types.ts'],
  }),
)
run(process.execPath, [tsc, '-p', '.'], { cwd: project })
const typesTime = since(phase)

// 3. The quick start, as the README tells a user to run it.
phase = performance.now()
copyFileSync(join(PACKAGE_DIR, 'examples/quick-start.mjs'), join(project, 'quick-start.mjs'))
const quickStart = run(process.execPath, ['quick-start.mjs'], {
  cwd: project,
  // Killed past this: a quick start that does not exit by itself has left a handle open.
  timeout: 20_000,
  env: { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
})
const lines = quickStart.stdout.trimEnd().split('\n')
const wrong = EXPECTED_OUTPUT.flatMap((pattern, index) =>
  pattern.test(lines[index] ?? '') ? [] : [`line ${index + 1}: ${JSON.stringify(lines[index])}`],
)
if (wrong.length > 0 || lines.length !== EXPECTED_OUTPUT.length) {
  fail(
    `the quick start printed something else (${wrong.join('; ') || `${lines.length} lines`}):\n${quickStart.stdout}${quickStart.stderr}`,
  )
}
const runTime = since(phase)

cleanUp()
const kB = (bytes) => `${(bytes / 1024).toFixed(1)} kB`
console.log(
  [
    `check-pack: ${pack.id}: ${files.length} files, ${kB(pack.size)} packed (${kB(pack.unpackedSize)} unpacked), only package.json, README.md, LICENSE and dist/**/*.{js,d.ts} (pack and build ${packTime})`,
    `check-pack: installed alone with ioredis in an empty project outside the repo (${installTime}); its types check (${typesTime})`,
    `check-pack: the quick start ran against ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}, printed the expected ${lines.length} lines and exited 0 by itself (${runTime})`,
    `check-pack: passed in ${since(started)}`,
  ].join('\n'),
)
