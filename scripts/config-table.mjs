#!/usr/bin/env node
// Writes the table of every environment variable into docs/CONFIGURATION.md, between
// <!-- config:start --> and <!-- config:end -->, from the config schema itself (src/config.ts,
// imported through tsx): its names, defaults and allowed values, so the page cannot drift from
// the code. Each variable's meaning is, in this order: the schema's `description`; the prose
// in MEANINGS below; the doc comment on the variable in src/config.ts. The page is then
// formatted by Biome, as `npm run lint` expects it.
//
//   node scripts/config-table.mjs           rewrites the table
//   node scripts/config-table.mjs --check   exit 1, saying what is out of date
//   … --page <file>                         another copy of the page (tests use it)
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { register } from 'tsx/esm/api'
import ts from 'typescript'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CONFIG_SOURCE = join(REPO_ROOT, 'src/config.ts')
const PAGE_IN_REPO = 'docs/CONFIGURATION.md'
const pageAt = process.argv.indexOf('--page')
const PAGE =
  pageAt === -1 ? join(REPO_ROOT, PAGE_IN_REPO) : resolve(process.argv[pageAt + 1] ?? PAGE_IN_REPO)
const START = '<!-- config:start -->'
const END = '<!-- config:end -->'

/**
 * What a variable means, for a reader of the docs (links are relative to docs/). A variable whose
 * schema has a `description` uses that instead; one in neither place, its doc comment.
 */
const MEANINGS = {
  PORT: 'HTTP port',
  HOST: 'HTTP interface',
  REDIS_URL:
    'One Redis, for the cache, the shared key version, the bus and the queue. Only one of `REDIS_URL`, `REDIS_CLUSTER_NODES` and `REDIS_SENTINELS` may be set',
  REDIS_CLUSTER_NODES:
    "A Redis Cluster's seed nodes instead of `REDIS_URL`; the others are found from them. See [Cluster and Sentinel](REDIS-TOPOLOGIES.md)",
  REDIS_SENTINELS:
    'Redis Sentinel instead: the sentinels, asked for the current master. See [Cluster and Sentinel](REDIS-TOPOLOGIES.md)',
  REDIS_SENTINEL_MASTER: "The master's name in the sentinels' configuration",
  REDIS_SENTINEL_PASSWORD: "The sentinels' own password (`requirepass` in `sentinel.conf`)",
  REDIS_USERNAME:
    "ACL user of a Cluster's or Sentinel's data nodes (a `REDIS_URL` carries its own)",
  REDIS_PASSWORD:
    "Password of a Cluster's or Sentinel's data nodes (a `REDIS_URL` carries its own)",
  DATABASE_URL:
    'Unset: SQLite at `./data/catalog.db`; `sqlite:<path>`; or `postgres://user@host:5432/db`',
  ADMIN_TOKEN:
    'Bearer token for writes and cache administration. Unset: generated at start and logged once',
  AUTH_FAILURES_PER_MINUTE:
    'Failed admin authentications a client (IP address) may make per minute, counted in Redis across instances; past it, its admin requests get 429 with `Retry-After`, the right token too. `0` turns it off',
  RATE_LIMIT_PER_MINUTE:
    'Requests a client may make per minute to any route but `/health`, `/ready` and `/metrics`, counted in Redis; past it, 429. `0`: no limit',
  METRICS_ACCESS:
    "Who may read `/metrics` and `/stats` (Redis version and memory, the database's state): `public`, or `admin` (the admin bearer token; give Prometheus the token, and the dashboard's token field the same)",
  TRUST_PROXY:
    "`false`, `true`, or the proxies' addresses or CIDR ranges (`10.0.0.0/8,::1`; `loopback`, `linklocal`, `uniquelocal` name ranges): `X-Forwarded-For`/`-Proto` then give the client's address (rate limits) and https (the board cookie's `Secure`). Set only behind a proxy that overwrites both",
  CACHE_STRATEGY:
    '`full`: L1 + Redis with every protection; `naive`: plain cache-aside, what the demo does; `none`: no cache. See [Strategies](STRATEGIES.md)',
  CACHE_TTL_SECONDS: 'How long an entry is fresh',
  CACHE_GRACE_SECONDS:
    'How long after that a stale entry is still served (while one refresh runs, or while the database fails); Redis keeps entries for fresh + grace, plus up to 10% jitter',
  NEGATIVE_TTL_SECONDS: 'How long "no such product" is cached; `0` turns it off',
  CACHE_EARLY_REFRESH_BETA:
    'XFetch: how eagerly hot keys are refreshed before they expire; `0` turns it off',
  L1_MAX_ITEMS: 'Entries the in-process tier holds; `0` turns L1 off',
  L1_MAX_BYTES: "Bytes it holds (the default is 64 MiB), counted as the entries' JSON size",
  L1_TTL_SECONDS: 'Longest an entry stays in L1',
  LEASE_WAIT_MS:
    "How long a read waits for another instance's load of the same key before loading itself; below `LOADER_TIMEOUT_MS`. Unset while `LOADER_TIMEOUT_MS` is set: half of it, at most 1000. Set both, and a wait not below the timeout stops start-up",
  LOADER_TIMEOUT_MS:
    "The most a read waits for a load (its own or another's): then 503, or the stale value if there is one; the load goes on and fills the cache. Unset while `LEASE_WAIT_MS` is 1500 or more: twice that, at most 120000",
  CACHE_KEY_VERSION: 'First key version when Redis holds none yet',
  REDIS_KEY_PREFIX:
    "Starts every key the service writes, the queue's too (or follows the `{` of a hash tag), e.g. `staging:`",
  REDIS_PERSISTENCE:
    'Whether Redis keeps what it is given, trusted only where Redis refuses `CONFIG` (managed Redis); elsewhere read from Redis itself. See [When Redis fails](OPERATIONS.md#when-redis-fails)',
  REDIS_COMMAND_TIMEOUT_MS: 'Every Redis call gives up after this; the read then uses the database',
  SEED_PRODUCTS:
    'Products seeded into an empty database (about 20 reviews each); `0` seeds nothing',
  DB_EXTRA_LATENCY_MS:
    'Delay added to every product read by id (one, or a batch), after the query: a slow query, to feel what the cache saves',
  ROLE: '`all`: API and worker in one process; `api`; `worker` (jobs, plus `/health` and `/metrics`)',
  QUEUE_PREFIX:
    "BullMQ's key prefix, wrapped in a hash tag (`{<QUEUE_PREFIX>}`). Unset: `{<REDIS_KEY_PREFIX>bull}`, so deployments under different prefixes never share jobs",
  WRITE_BEHIND_MIN_REPLICAS:
    'Replicas a deferred write must reach (Redis `WAIT`) before its 202, else it is applied synchronously (200). Unset: 1 once Redis has shown a replica, else 0',
  WRITE_BEHIND_REPLICA_WAIT_MS: 'How long a deferred write waits for those replicas',
  WRITE_MODE:
    '`through`: writes go to the database, then invalidate; `behind`: `PUT`/`PATCH` answer 202 and the worker persists (refused at start on a Redis that would lose them)',
  WARMUP_CRON:
    'When the worker warms the cache up (and once at its start): a cron pattern, 5 fields, or 6 with seconds first, checked at start-up',
  WARMUP_TOP_N: 'How many of the most-read products the warm-up loads; `0` turns it off',
  JOB_ATTEMPTS: 'Attempts for a job that fails for a transient reason (exponential backoff)',
  JOB_LOCK_MS:
    "How long a worker's hold on a job lasts; a killed worker's jobs run again after it (and BullMQ's stalled check)",
  SHUTDOWN_TIMEOUT_MS: 'How long requests and jobs under way get to finish after SIGTERM',
  REQUEST_TIMEOUT_MS:
    "A request's headers and body must arrive within this (a new connection's first request, from its opening), else 408 and the socket closes",
  CONNECTION_TIMEOUT_MS:
    "A socket idle this long is closed: between keep-alive requests (Node adds 1 s), or a client that stopped reading; keep it above the load balancer's idle timeout and `LOADER_TIMEOUT_MS`",
  MAX_CONNECTIONS:
    'Sockets over this are closed as soon as accepted; `0`: no cap. Keep it below `ulimit -n`, so a flood is refused here, not as `EMFILE` for Redis and the database',
  UNSAFE_DISABLE_PROTECTIONS:
    'Teaching and testing only: protections to switch off, to watch what each prevents (the fault suite runs its tests both ways). See [Strategies](STRATEGIES.md#switching-protections-off)',
  LOG_LEVEL: 'How much the service logs',
}

/** Patterns without a `patternMessage`, said in words. A new pattern needs one or the other. */
const PATTERNS_IN_WORDS = {
  '^rediss?://': 'a URL starting `redis://` or `rediss://`',
  '^(sqlite:|postgres(ql)?://)':
    '`sqlite:<path>`, or a URL starting `postgres://` or `postgresql://`',
  '^[A-Za-z0-9_.-]+$': 'letters, digits, `_`, `.` and `-`',
}

// ---------------------------------------------------------------------------------------------
// Reading the schema

async function loadSchema() {
  const unregister = register()
  try {
    const module = await import(pathToFileURL(CONFIG_SOURCE).href)
    return module.ConfigSchema
  } finally {
    await unregister()
  }
}

/** The doc comment of each property of `ConfigSchema = Type.Object({ … })`, by name. */
function docComments() {
  const source = ts.createSourceFile(
    CONFIG_SOURCE,
    readFileSync(CONFIG_SOURCE, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  )
  const comments = new Map()
  const visit = (node) => {
    if (
      ts.isVariableDeclaration(node) &&
      node.name.getText(source) === 'ConfigSchema' &&
      node.initializer &&
      ts.isCallExpression(node.initializer)
    ) {
      const [shape] = node.initializer.arguments
      if (shape && ts.isObjectLiteralExpression(shape)) {
        for (const property of shape.properties) {
          if (!property.name) continue
          const doc = ts
            .getJSDocCommentsAndTags(property)
            .filter((comment) => ts.isJSDoc(comment))
            .at(-1)
          if (!doc) continue
          const text = source.text
            .slice(doc.pos, doc.end)
            .replace(/^\/\*\*/, '')
            .replace(/\*\/$/, '')
            .split('\n')
            .map((line) => line.replace(/^\s*\* ?/, ''))
            .join(' ')
          comments.set(property.name.getText(source), oneLine(text))
        }
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return comments
}

// ---------------------------------------------------------------------------------------------
// Rendering

function oneLine(text) {
  return text.replace(/\s+/g, ' ').trim()
}

function cell(text) {
  return oneLine(text).replaceAll('|', '\\|')
}

function code(value) {
  const text = String(value)
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``
}

const number = (value) => value.toLocaleString('en-US')

function range(schema, noun) {
  const { minimum, maximum } = schema
  if (minimum !== undefined && maximum !== undefined) {
    return `${noun} from ${number(minimum)} to ${number(maximum)}`
  }
  if (minimum !== undefined) return `${noun}, at least ${number(minimum)}`
  if (maximum !== undefined) return `${noun}, at most ${number(maximum)}`
  return noun
}

/** What a value may be, in words; `problems` collects what cannot be said. */
function allowedValues(name, schema, problems) {
  let words
  if (Array.isArray(schema.enum)) words = schema.enum.map(code).join(', ')
  else if (schema.type === 'integer') words = range(schema, 'a whole number')
  else if (schema.type === 'number') words = range(schema, 'a number')
  else if (schema.type === 'boolean') words = '`true` or `false`'
  else if (schema.type === 'string') {
    if (schema.pattern !== undefined) {
      const message = schema.patternMessage ?? PATTERNS_IN_WORDS[schema.pattern]
      if (message === undefined) {
        problems.push(
          `${name}: its pattern has no words; give it a patternMessage in src/config.ts ` +
            '(or add it to PATTERNS_IN_WORDS in scripts/config-table.mjs)',
        )
        words = 'text'
      } else {
        words = message.replace(/^must be /, '')
      }
    } else if (schema.minLength > 1) {
      words = `text, at least ${number(schema.minLength)} characters`
    } else {
      words = 'text'
    }
  } else {
    problems.push(
      `${name}: a schema of a kind this script cannot describe (${JSON.stringify(schema)})`,
    )
    words = ''
  }
  if (schema.secret) words += '; secret: an error names only its length'
  return words
}

function defaultOf(schema, required) {
  if (schema.default === undefined) return required ? '' : '_(unset)_'
  if (schema.default === '') return '_(empty)_'
  return code(schema.default)
}

function renderTable(schema) {
  const problems = []
  const comments = docComments()
  const required = new Set(schema.required ?? [])
  const names = Object.keys(schema.properties)
  for (const name of Object.keys(MEANINGS)) {
    if (!names.includes(name)) {
      problems.push(
        `MEANINGS in scripts/config-table.mjs describes ${name}, which src/config.ts no longer has`,
      )
    }
  }
  const rows = names.map((name) => {
    const property = schema.properties[name]
    const meaning = property.description ?? MEANINGS[name] ?? comments.get(name)
    if (!meaning) {
      problems.push(
        `${name} has no description: give its schema a \`description\` (or a doc comment) in src/config.ts`,
      )
    }
    return [
      `\`${name}\``,
      defaultOf(property, required.has(name)),
      cell(allowedValues(name, property, problems)),
      cell(meaning ?? ''),
    ]
  })
  const lines = [
    '',
    '<!-- Generated by scripts/config-table.mjs from src/config.ts: edit the schema, then run `npm run docs`. -->',
    '',
    '| Variable | Default | Allowed | Meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ]
  return { markdown: lines.join('\n'), problems, count: names.length }
}

// ---------------------------------------------------------------------------------------------
// Writing the page

/** Formats markdown as `biome check` would, so that the lint and this script agree. */
function formatMarkdown(markdown) {
  const require = createRequire(join(REPO_ROOT, 'package.json'))
  const biome = require.resolve('@biomejs/biome/bin/biome')
  const result = spawnSync(
    process.execPath,
    [biome, 'format', `--stdin-file-path=${PAGE_IN_REPO}`],
    { cwd: REPO_ROOT, input: markdown, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
  if (result.status !== 0)
    throw new Error(`biome format failed:\n${result.stderr || result.stdout}`)
  return result.stdout
}

function sectionOf(page) {
  const from = page.indexOf(START)
  const to = page.indexOf(END)
  if (from === -1 || to === -1 || to < from) return undefined
  return page.slice(from + START.length, to)
}

/** The first line where two texts differ, as `line N: has …, expected …`. */
function firstDifference(current, next) {
  const left = current.split('\n')
  const right = next.split('\n')
  for (let line = 0; line < Math.max(left.length, right.length); line++) {
    if (left[line] !== right[line]) {
      return `line ${line + 1}: has ${JSON.stringify(left[line] ?? '(end)')}, expected ${JSON.stringify(right[line] ?? '(end)')}`
    }
  }
  return ''
}

/** The variables whose row differs between two versions of the table. */
function staleVariables(current, next) {
  const rowsOf = (text) =>
    new Map(
      text
        .split('\n')
        .map((line) => /^\|\s*`([A-Z0-9_]+)`\s*\|/.exec(line))
        .filter(Boolean)
        .map((match) => [match[1], match.input.replace(/\s+/g, ' ')]),
    )
  const before = rowsOf(current)
  const after = rowsOf(next)
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names].filter((name) => before.get(name) !== after.get(name))
}

async function main() {
  const check = process.argv.includes('--check')
  const page = relative(REPO_ROOT, PAGE)
  if (!existsSync(PAGE)) {
    console.error(`config-table: ${page} is missing`)
    process.exit(1)
  }
  const current = readFileSync(PAGE, 'utf8')
  if (sectionOf(current) === undefined) {
    console.error(`config-table: ${page} lacks the markers ${START} … ${END}`)
    process.exit(1)
  }
  const { markdown, problems, count } = renderTable(await loadSchema())
  const from = current.indexOf(START) + START.length
  const next = formatMarkdown(
    current.slice(0, from) + markdown + current.slice(current.indexOf(END)),
  )
  for (const problem of problems) console.error(`config-table: ${problem}`)

  if (next === current) {
    if (!check) console.log(`config-table: ${page} is up to date (${count} variables)`)
    process.exit(problems.length > 0 ? 1 : 0)
  }
  if (check) {
    const stale = staleVariables(sectionOf(current) ?? '', sectionOf(next) ?? '')
    const what =
      stale.length > 0
        ? `the rows of ${stale.join(', ')} differ from src/config.ts`
        : 'it is not formatted as Biome formats it'
    console.error(
      `config-table: ${page} is out of date: ${what} (${firstDifference(current, next)})`,
    )
    console.error('Run: npm run docs')
    process.exit(1)
  }
  writeFileSync(PAGE, next)
  console.log(`config-table: wrote ${page} (${count} variables)`)
  if (problems.length > 0) process.exit(1)
}

await main()
