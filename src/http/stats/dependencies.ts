import { masterConnections, type RedisClient } from '@caching-strategies/cache'
import type { Database, DialectName } from '../../db/client.js'

/** The figures of Redis INFO the dashboard shows (the demo's "Redis monitoring"). */
export interface RedisInfo {
  version: string | null
  uptime_seconds: number | null
  used_memory_bytes: number | null
  used_memory_human: string | null
  connected_clients: number | null
  keyspace_hits: number | null
  keyspace_misses: number | null
  ops_per_second: number | null
  /** Keys over every database (0 for an empty Redis, which lists none). */
  keys: number
}

export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'failed',
  'completed',
] as const
export type QueueCounts = Record<(typeof QUEUE_STATES)[number], number>

export interface DependencyStates {
  /** Undefined when Redis did not answer INFO in time. */
  redisInfo: RedisInfo | undefined
  database: { up: boolean; dialect: DialectName }
  /** Undefined when the queue's Redis did not answer in time. */
  queueCounts: QueueCounts | undefined
}

export interface DependencySources {
  redis: RedisClient
  database: Pick<Database, 'ping' | 'dialect'>
  queue: { getJobCounts(...states: string[]): Promise<Record<string, number>> }
}

/** A dependency that has not answered within this is shown as down; the page must not hang. */
const PROBE_TIMEOUT_MS = 500

/** Asks Redis, the database and the queue at once; never rejects. */
export async function probeDependencies(sources: DependencySources): Promise<DependencyStates> {
  const [info, databaseUp, counts] = await Promise.all([
    withTimeout(clusterInfo(sources.redis)).then(undefined, () => undefined),
    withTimeout(sources.database.ping()).then(
      () => true,
      () => false,
    ),
    withTimeout(sources.queue.getJobCounts(...QUEUE_STATES)).then(queueCountsOf, () => undefined),
  ])
  return {
    redisInfo: info,
    database: { up: databaseUp, dialect: sources.database.dialect },
    queueCounts: counts,
  }
}

/** Calls `load` at most once per `ttlMs`; every caller in between shares its answer. */
export function rememberFor<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | undefined
  let expiresAt = 0
  return () => {
    const now = performance.now()
    if (answer === undefined || now >= expiresAt) {
      answer = load()
      expiresAt = now + ttlMs
    }
    return answer
  }
}

/** INFO of every master (one on a single Redis), added up: a Cluster's keys and memory are its masters'. */
async function clusterInfo(redis: RedisClient): Promise<RedisInfo> {
  const infos = await Promise.all(
    masterConnections(redis).map(async (node) => parseRedisInfo(await node.info())),
  )
  return infos.reduce(addRedisInfo)
}

/** Two masters' figures as one: sums, except the version and uptime (the first master's). */
export function addRedisInfo(a: RedisInfo, b: RedisInfo): RedisInfo {
  const sum = (x: number | null, y: number | null) => (x === null || y === null ? null : x + y)
  const bytes = sum(a.used_memory_bytes, b.used_memory_bytes)
  return {
    version: a.version,
    uptime_seconds: a.uptime_seconds,
    used_memory_bytes: bytes,
    used_memory_human: bytes === null ? null : humanBytes(bytes),
    connected_clients: sum(a.connected_clients, b.connected_clients),
    keyspace_hits: sum(a.keyspace_hits, b.keyspace_hits),
    keyspace_misses: sum(a.keyspace_misses, b.keyspace_misses),
    ops_per_second: sum(a.ops_per_second, b.ops_per_second),
    keys: a.keys + b.keys,
  }
}

/** As Redis writes used_memory_human: 1.50M, 812.33K. */
function humanBytes(bytes: number): string {
  for (const [unit, size] of [
    ['G', 2 ** 30],
    ['M', 2 ** 20],
    ['K', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${(bytes / size).toFixed(2)}${unit}`
  }
  return `${bytes}B`
}

/** `INFO`'s `field:value` lines, with the keys of every `dbN` summed. */
export function parseRedisInfo(text: string): RedisInfo {
  const fields = new Map<string, string>()
  let keys = 0
  for (const line of text.split(/\r?\n/)) {
    const separator = line.indexOf(':')
    if (line.startsWith('#') || separator < 0) continue
    const name = line.slice(0, separator)
    const value = line.slice(separator + 1)
    fields.set(name, value)
    const dbKeys = /^db\d+$/.test(name) ? /(?:^|,)keys=(\d+)/.exec(value)?.[1] : undefined
    if (dbKeys !== undefined) keys += Number(dbKeys)
  }
  const field = (name: string) => fields.get(name) ?? null
  const number = (name: string) => {
    const value = Number(fields.get(name))
    return fields.has(name) && Number.isFinite(value) ? value : null
  }
  return {
    version: field('redis_version'),
    uptime_seconds: number('uptime_in_seconds'),
    used_memory_bytes: number('used_memory'),
    used_memory_human: field('used_memory_human'),
    connected_clients: number('connected_clients'),
    keyspace_hits: number('keyspace_hits'),
    keyspace_misses: number('keyspace_misses'),
    ops_per_second: number('instantaneous_ops_per_sec'),
    keys,
  }
}

function queueCountsOf(counts: Record<string, number>): QueueCounts {
  const pick = (state: (typeof QUEUE_STATES)[number]) => counts[state] ?? 0
  return {
    waiting: pick('waiting'),
    active: pick('active'),
    delayed: pick('delayed'),
    prioritized: pick('prioritized'),
    failed: pick('failed'),
    completed: pick('completed'),
  }
}

async function withTimeout<T>(pending: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([pending, timeout])
  } finally {
    clearTimeout(timer)
  }
}
