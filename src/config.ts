import { isIP } from 'node:net'
import cronParser from 'cron-parser'
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'

/** What UNSAFE_DISABLE_PROTECTIONS may name: each a guarantee the fault suite proves. */
export const PROTECTIONS = [
  /** A synchronous write never writes around a deferred one it could not check for. */
  'hold-refusal',
  /** Writes are deferred only on a Redis that keeps them (appendonly, noeviction). */
  'persistence-check',
  /** Tag versions never go backwards after Redis loses them. */
  'tag-floor',
  /** Redis losing its data is noticed, and every L1 dropped. */
  'reset-detection',
  /** A fill that started before Redis lost its data is never stored after. */
  'unique-generations',
  /**
   * The bus retries publishes and tells peers when they may have missed one; an invalidation
   * Redis did not take is tried again until it lands.
   */
  'bus-recovery',
  /** A master replaced by a failover (which may lose its last invalidations) drops every entry. */
  'failover-detection',
  /** A process stops at once on SIGTERM while Redis is gone, not waiting for it (BullMQ would). */
  'shutdown-without-redis',
] as const

export type Protection = (typeof PROTECTIONS)[number]

const PROTECTION_PATTERN = PROTECTIONS.join('|')

const HOST_PORT_LIST = '^[^\\s,:]+:[0-9]{1,5}(,[^\\s,:]+:[0-9]{1,5})*$'
const HOST_PORT_LIST_MESSAGE =
  'must be a comma-separated list of host:port, e.g. 10.0.0.1:7000,10.0.0.2:7000'

/** Shorter admin tokens are refused at start: the token is all that guards writes. */
export const ADMIN_TOKEN_MIN_LENGTH = 32

/**
 * Every environment variable the service reads, in one schema. The Config type is derived
 * from it, so the two can never drift; the names stay the env names so docs and code grep alike.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  /** One Redis. Unless REDIS_CLUSTER_NODES or REDIS_SENTINELS is set (only one of the three may be). */
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  /** A Redis Cluster's seed nodes, `host:port,host:port`: the rest are found from them. */
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({ pattern: HOST_PORT_LIST, patternMessage: HOST_PORT_LIST_MESSAGE }),
  ),
  /** Redis Sentinel: the sentinels, `host:port,host:port`, asked for the current master. */
  REDIS_SENTINELS: Type.Optional(
    Type.String({ pattern: HOST_PORT_LIST, patternMessage: HOST_PORT_LIST_MESSAGE }),
  ),
  /** The master's name in the sentinels' configuration. */
  REDIS_SENTINEL_MASTER: Type.String({ minLength: 1, default: 'mymaster' }),
  /** The sentinels' own password (`requirepass` in sentinel.conf), if they have one. */
  REDIS_SENTINEL_PASSWORD: Type.Optional(Type.String({ minLength: 1, secret: true })),
  /** ACL user of the Cluster's or Sentinel's data nodes (a REDIS_URL carries its own). */
  REDIS_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  /** Password of the Cluster's or Sentinel's data nodes (a REDIS_URL carries its own). */
  REDIS_PASSWORD: Type.Optional(Type.String({ minLength: 1, secret: true })),
  /** Unset: SQLite at ./data/catalog.db; `sqlite:<path>`; or `postgres://…`. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^(sqlite:|postgres(ql)?://)' })),
  /** Unset: a token is generated at start and logged once. Secret: never echoed in an error. */
  ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: ADMIN_TOKEN_MIN_LENGTH,
      secret: true,
      minLengthMessage:
        `must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters, too long to guess ` +
        '(e.g. `openssl rand -base64 32`)',
    }),
  ),
  /**
   * Failed admin authentications a client (IP address) may make per minute, counted in Redis so
   * every instance shares the count; past it, its admin requests get 429 until the minute ends.
   * 0 turns the limit off.
   */
  AUTH_FAILURES_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 30 }),
  /**
   * Requests a client (IP address) may make per minute to any route but /health and /metrics,
   * counted in Redis; past it, 429. 0 (the default): no limit, so load tests from one address work.
   */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 100_000_000, default: 0 }),
  /**
   * Who may read /metrics and /stats (process, Redis and database figures, the Redis version):
   * `public`, the demo's default, for Prometheus and the dashboard as shipped; `admin`, only with
   * the admin bearer token (Prometheus then sends it, and the dashboard the one it was given).
   */
  METRICS_ACCESS: Type.Enum(['public', 'admin'], { default: 'public' }),
  /**
   * Whether X-Forwarded-For and X-Forwarded-Proto are believed (the client's address for the rate
   * limits, TLS for the board's Secure cookie): `false`; `true`, from any peer; or the proxies'
   * addresses or CIDR ranges, comma-separated (`loopback`, `linklocal`, `uniquelocal` name
   * ranges). Only behind a proxy that overwrites those headers: else clients forge them.
   */
  TRUST_PROXY: Type.String({ minLength: 1, default: 'false' }),
  /** full: L1 + Redis with every protection; naive: plain cache-aside (the demo); none: no cache. */
  CACHE_STRATEGY: Type.Enum(['full', 'naive', 'none'], { default: 'full' }),
  CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 31_536_000, default: 300 }),
  CACHE_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 3600 }),
  NEGATIVE_TTL_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400, default: 30 }),
  /** XFetch's beta: how eagerly hot keys are refreshed before they expire; 0 turns it off. */
  CACHE_EARLY_REFRESH_BETA: Type.Number({ minimum: 0, maximum: 10, default: 1 }),
  L1_MAX_ITEMS: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 10_000 }),
  L1_MAX_BYTES: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
  L1_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 30 }),
  /** Below LOADER_TIMEOUT_MS: a read that waited in vain for another's load must have time to load. */
  LEASE_WAIT_MS: Type.Integer({ minimum: 1, maximum: 60_000, default: 1000 }),
  LOADER_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 120_000, default: 3000 }),
  CACHE_KEY_VERSION: Type.Integer({ minimum: 1, default: 1 }),
  /**
   * The consistency monitor: after each write (made here or elsewhere), check at these delays
   * (ms, comma-separated) that neither L1 nor Redis still holds an older version of the product,
   * and repair what does. `none`: no such checks.
   */
  CONSISTENCY_CHECK_DELAYS_MS: Type.String({
    pattern: '^(?:none|[0-9]{1,7}(?:,[0-9]{1,7}){0,9})$',
    default: '1000,10000',
    patternMessage: 'must be up to 10 delays in milliseconds separated by commas, or none',
  }),
  /**
   * The consistency monitor: how many cache answers per second this instance compares with the
   * database, off the request path (a rate the database does not notice); 0 turns sampling off.
   */
  CONSISTENCY_SAMPLE_PER_SEC: Type.Number({ minimum: 0, maximum: 1000, default: 2 }),
  /** Every key the service writes, the queue's included, starts with it (or with `{` and it). */
  REDIS_KEY_PREFIX: Type.String({
    pattern: '^[^{}]*$',
    default: '',
    patternMessage: "must not contain { or }: the hash tags in keys are the service's own",
  }),
  /**
   * Whether Redis keeps what it is given (AOF). Read from Redis itself (CONFIG GET) where it
   * answers; trusted only where CONFIG is refused, as on managed Redis. Unset there: none.
   */
  REDIS_PERSISTENCE: Type.Optional(Type.Enum(['aof', 'none'])),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 60_000, default: 100 }),
  SEED_PRODUCTS: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10_000 }),
  DB_EXTRA_LATENCY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
  /** all: API and worker in one process; api: HTTP only; worker: jobs only (plus /health, /metrics). */
  ROLE: Type.Enum(['all', 'api', 'worker'], { default: 'all' }),
  /**
   * BullMQ key prefix, wrapped in a hash tag (`{bull}`) so a queue's keys share one Cluster
   * slot. Unset: derived from REDIS_KEY_PREFIX, `{<REDIS_KEY_PREFIX>bull}`.
   */
  QUEUE_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' })),
  /**
   * Replicas a deferred write's staged state must reach (Redis WAIT) before its 202: a master
   * that dies a moment after acknowledging it then loses nothing. Short of it in time, the write
   * is applied synchronously (200), or refused (503). Unset: 1 once Redis has shown a replica, else 0.
   */
  WRITE_BEHIND_MIN_REPLICAS: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
  /** How long a deferred write waits for those replicas. */
  WRITE_BEHIND_REPLICA_WAIT_MS: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  /** through: writes go to the database, then invalidate; behind: PUT/PATCH answer 202 and the worker persists. */
  WRITE_MODE: Type.Enum(['through', 'behind'], { default: 'through' }),
  WARMUP_CRON: Type.String({ minLength: 9, default: '*/10 * * * *' }),
  WARMUP_TOP_N: Type.Integer({ minimum: 0, maximum: 100_000, default: 100 }),
  JOB_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  /** A worker renews its claim on a running job within this; a crashed worker's jobs run again 1–2 of these later. */
  JOB_LOCK_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
  /** A request's headers and body must arrive within this (a new socket's, from its opening), else 408. */
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  /**
   * A socket with nothing sent either way for this long is closed: idle between keep-alive
   * requests, or a client that stopped reading. Above load balancers' idle timeout (60 s on AWS), so
   * they close first and never reuse a socket we are closing. A handler silent for this long loses
   * its socket too, so keep it above LOADER_TIMEOUT_MS.
   */
  CONNECTION_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 72_000 }),
  /**
   * Sockets beyond this are closed as soon as accepted; 0: no cap. Keep it below `ulimit -n`, so
   * that a flood is refused here rather than as EMFILE for Redis and the database too.
   */
  MAX_CONNECTIONS: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10_000 }),
  /**
   * Teaching and testing only: protections against Redis faults to switch off, comma-separated,
   * to watch what each guards against (the fault suite runs its tests both ways).
   */
  UNSAFE_DISABLE_PROTECTIONS: Type.Optional(
    Type.String({
      pattern: `^(${PROTECTION_PATTERN})(,(${PROTECTION_PATTERN}))*$`,
      patternMessage: `must be a comma-separated list of: ${PROTECTIONS.join(', ')}`,
    }),
  ),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
})

export type Config = Static<typeof ConfigSchema>

/** Whether UNSAFE_DISABLE_PROTECTIONS leaves this protection on (it always should, but to teach). */
export function protectionOn(config: Pick<Config, 'UNSAFE_DISABLE_PROTECTIONS'>, name: Protection) {
  return !(config.UNSAFE_DISABLE_PROTECTIONS ?? '').split(',').includes(name)
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const INTEGER = /^(0|[1-9][0-9]*)$/
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/

/**
 * Reads the known variables from `env`, applies defaults and validates them once, at start-up.
 * Empty strings count as unset. Numbers must be written as plain digits ("1.5" for an integer, or "1e3",
 * is an error, not a silent rounding). Throws a ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    const type = 'type' in schema ? schema.type : undefined
    const numeric = type === 'integer' ? INTEGER : type === 'number' ? DECIMAL : undefined
    raw[name] = numeric?.test(value) ? Number(value) : value
  }
  const set = new Set(Object.keys(raw)) // Value.Default adds the defaults to `raw` itself
  deriveDefaults(raw)
  const withDefaults = Value.Default(ConfigSchema, raw)
  if (Value.Check(ConfigSchema, withDefaults)) {
    const problems = relationProblems(withDefaults, set)
    if (problems.length === 0) return withDefaults
    throw invalid(problems)
  }
  const problems = Value.Errors(ConfigSchema, withDefaults).map((error) => {
    const name = error.instancePath.replace(/^\//, '')
    const allowed =
      error.keyword === 'enum'
        ? `: ${String(error.params.allowedValues).replaceAll(',', ', ')}`
        : ''
    const property: unknown = ConfigSchema.properties[name as keyof Config]
    const message = messageInWords(property, error.keyword) ?? error.message
    // A secret's value would end up in the logs with the error: only its length is shown.
    const value = isSecret(property)
      ? ` (${String(env[name]).length} characters)`
      : `=${JSON.stringify(env[name])}`
    return `${name}${value}: ${message}${allowed}`
  })
  throw invalid(problems)
}

/**
 * A failed `pattern` or `minLength` better said in words (`patternMessage`, `minLengthMessage`)
 * than as the regular expression or TypeBox's generic message.
 */
function messageInWords(schema: unknown, keyword: string): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined
  const message: unknown = (schema as Record<string, unknown>)[`${keyword}Message`]
  return typeof message === 'string' ? message : undefined
}

function isSecret(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && 'secret' in schema
}

function invalid(problems: readonly string[]): ConfigError {
  return new ConfigError(`Invalid configuration: ${[...new Set(problems)].join('; ')}`)
}

/**
 * Defaults that depend on another setting follow what the user set, so that only two values the
 * user chose can conflict: LOADER_TIMEOUT_MS=500 alone gives a lease wait below it, and
 * LEASE_WAIT_MS=5000 alone a loader timeout above it.
 */
function deriveDefaults(raw: Record<string, unknown>): void {
  const lease = raw.LEASE_WAIT_MS
  const loader = raw.LOADER_TIMEOUT_MS
  if (lease === undefined && typeof loader === 'number' && Number.isInteger(loader) && loader > 1) {
    raw.LEASE_WAIT_MS = Math.min(1000, Math.floor(loader / 2))
  }
  if (
    loader === undefined &&
    typeof lease === 'number' &&
    Number.isInteger(lease) &&
    lease >= 1500
  ) {
    raw.LOADER_TIMEOUT_MS = Math.min(120_000, 2 * lease)
  }
}

/** What a schema cannot say: values that must agree with each other, or parse as something. */
function relationProblems(config: Config, set: ReadonlySet<string>): string[] {
  const problems: string[] = []
  const topologies = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].filter((name) =>
    set.has(name),
  )
  if (topologies.length > 1) {
    problems.push(
      `${topologies.join(' and ')} are set: say where Redis is one way only (REDIS_URL, ` +
        'REDIS_CLUSTER_NODES or REDIS_SENTINELS)',
    )
  }
  if (config.LEASE_WAIT_MS >= config.LOADER_TIMEOUT_MS) {
    problems.push(
      `LEASE_WAIT_MS=${config.LEASE_WAIT_MS} must be below LOADER_TIMEOUT_MS=` +
        `${config.LOADER_TIMEOUT_MS}, so that a read whose wait for another instance's load ` +
        'was in vain still has time to load itself',
    )
  }
  const trust = parseTrustProxy(config.TRUST_PROXY)
  if ('problem' in trust) {
    problems.push(`TRUST_PROXY=${JSON.stringify(config.TRUST_PROXY)}: ${trust.problem}`)
  }
  try {
    // The parser BullMQ schedules the warm-up with: a bad pattern fails here, not in the worker.
    cronParser.parseExpression(config.WARMUP_CRON)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    problems.push(
      `WARMUP_CRON=${JSON.stringify(config.WARMUP_CRON)}: not a cron pattern (${reason})`,
    )
  }
  return problems
}

/** Named ranges Fastify's trustProxy (proxy-addr) knows. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/**
 * TRUST_PROXY as Fastify's `trustProxy` takes it: a boolean, or addresses and CIDR ranges; or, if
 * it is none of these, what is wrong in words. A hop count is refused: Fastify 5 ignores one (it
 * cannot tell the proxy from a client connecting directly), so it would silently trust nobody.
 */
function parseTrustProxy(value: string): { trust: boolean | string[] } | { problem: string } {
  if (value === 'false') return { trust: false }
  if (value === 'true') return { trust: true }
  if (INTEGER.test(value)) {
    return {
      problem:
        'a hop count is not accepted (Fastify ignores one: it cannot tell the proxy from a ' +
        "client that connects directly); give the proxies' addresses or CIDR ranges, e.g. " +
        '10.0.0.0/8, or true',
    }
  }
  const entries = value.split(',').map((entry) => entry.trim())
  const bad = entries.filter((entry) => !PROXY_RANGES.has(entry) && !isAddressOrRange(entry))
  if (bad.length === 0) return { trust: entries }
  return {
    problem:
      `${bad.map((entry) => JSON.stringify(entry)).join(', ')} ` +
      `${bad.length === 1 ? 'is not an IP address or CIDR range' : 'are not IP addresses or CIDR ranges'}: ` +
      'must be true, false, or a comma-separated list of the ' +
      "proxies' addresses or CIDR ranges (or loopback, linklocal, uniquelocal), e.g. " +
      '10.0.0.0/8,127.0.0.1',
  }
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return INTEGER.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128)
}

/** Fastify's `trustProxy` for this config (TRUST_PROXY, checked by loadConfig). */
export function trustProxy(config: Pick<Config, 'TRUST_PROXY'>): boolean | string[] {
  const parsed = parseTrustProxy(config.TRUST_PROXY)
  if ('problem' in parsed) throw new ConfigError(`TRUST_PROXY: ${parsed.problem}`)
  return parsed.trust
}
