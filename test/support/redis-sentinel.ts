import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { type Child, ChildProcesses } from '../../bench/child-processes.js'
import { freePort, redisAnswers } from '../../bench/net.js'
import type { RedisServer } from './redis.js'
import {
  answeringPorts,
  ownTempDir,
  pollUntil,
  type RedisNode,
  redisCommand,
  redisInfo,
  removeTempDir,
  startRedisNode,
} from './redis-process.js'

/** Short, for tests: a master that does not answer for this long is subjectively down. */
const DOWN_AFTER_MS = 1000
const FAILOVER_TIMEOUT_MS = 5000
const READY_TIMEOUT_MS = 20_000
/** Room for two elections whose votes split: each is tried again after 2 × FAILOVER_TIMEOUT_MS. */
const NEW_MASTER_TIMEOUT_MS = 30_000

export interface RedisSentinelOptions {
  /** @default 1 */
  replicas?: number
  /** The quorum is a majority of them. @default 3 */
  sentinels?: number
  /** @default 'mymaster' */
  masterName?: string
  /** Every server logs to an append-only file in its own directory. @default false */
  appendonly?: boolean
  /**
   * The port the replicas replicate from, given the master's: e.g. a fault proxy's in front of
   * it, to stall replication. @default the master's own
   */
  replicaLink?: (masterPort: number) => Promise<number>
}

export interface SentinelProcess {
  port: number
  pid: number
}

export interface SentinelFailover {
  newMasterPort: number
  /** From SENTINEL FAILOVER or the SIGKILL to every live sentinel naming the new master. */
  tookMs: number
}

export interface RedisSentinel {
  /** The server started as the master (failovers change roles: see `currentMaster()`). */
  master: RedisServer
  /** The servers started as its replicas. */
  replicas: RedisServer[]
  sentinels: SentinelProcess[]
  /** `{ host, port }` of every sentinel, for `new Redis({ sentinels, name: masterName })`. */
  sentinelAddresses: Array<{ host: string; port: number }>
  masterName: string
  /** The master as the first sentinel that answers names it. */
  currentMaster(): Promise<{ host: string; port: number }>
  /**
   * Replaces the current master: 'manual' is SENTINEL FAILOVER (the old master, still running,
   * is turned into a replica by the sentinels some seconds later), 'kill' SIGKILLs it. Resolves
   * once every live sentinel names the same new master and it answers ROLE as a master.
   */
  failover(options: { how: 'manual' | 'kill' }): Promise<SentinelFailover>
  /** Stops the sentinels, then the servers, each by its own PID; removes their directories. */
  dispose(): Promise<void>
}

/**
 * Starts a master, `replicas` replicas of it and `sentinels` sentinels monitoring it, all on
 * 127.0.0.1, and waits until every sentinel knows the master, its replicas and the other
 * sentinels: a failover can be asked for as soon as it resolves.
 */
export async function startRedisSentinel(
  options: RedisSentinelOptions = {},
): Promise<RedisSentinel> {
  const masterName = options.masterName ?? 'mymaster'
  const sentinelCount = options.sentinels ?? 3
  const replicaCount = options.replicas ?? 1
  const nodes: Array<RedisNode & { dispose(): Promise<void> }> = []
  const sentinels = new ChildProcesses()
  const sentinelDirs: string[] = []
  // A sentinel is not a redis-server startRedisServer can start (its config file must come
  // first), so the sentinels are our own children: killed at exit if dispose() never ran.
  const killSentinelsNow = () => sentinels.killAllNow()
  process.on('exit', killSentinelsNow)
  const dispose = async () => {
    await sentinels.stopAll()
    process.off('exit', killSentinelsNow)
    await Promise.all(nodes.map((node) => node.dispose()))
    await Promise.all(sentinelDirs.map((dir) => removeTempDir(dir)))
  }

  try {
    const persistence = { appendonly: options.appendonly ?? false }
    const master = await startRedisNode(() => [], persistence)
    nodes.push(master)
    const linkPort = (await options.replicaLink?.(master.port)) ?? master.port
    const replicaOf = ['--replicaof', '127.0.0.1', String(linkPort)]
    for (let i = 0; i < replicaCount; i++)
      nodes.push(await startRedisNode(() => replicaOf, persistence))
    // A sentinel learns the replicas from the master's INFO: have them connected first.
    await pollUntil('the replicas to sync', () => replicasOnline(master.port, replicaCount), 10_000)

    const quorum = Math.floor(sentinelCount / 2) + 1
    const monitor = { masterName, masterPort: master.port, quorum }
    const started: Array<{ child: Child; port: number }> = []
    for (let i = 0; i < sentinelCount; i++) {
      const dir = await ownTempDir('redis-sentinel-')
      sentinelDirs.push(dir)
      started.push(await startSentinel(sentinels, dir, monitor))
    }
    const sentinelPorts = started.map((sentinel) => sentinel.port)
    const serverPorts = nodes.map((node) => node.port)
    const view = { masterName, sentinelPorts, serverPorts }
    await pollUntil('every sentinel to know everything', () => allKnown(view), READY_TIMEOUT_MS)

    const currentMaster = async () => ({ host: '127.0.0.1', port: await masterPortOf(view) })
    return {
      master: master.server,
      replicas: nodes.slice(1).map((node) => node.server),
      sentinels: started.map(({ child, port }) => ({ port, pid: child.pid })),
      sentinelAddresses: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      masterName,
      currentMaster,
      async failover({ how }) {
        const oldPort = await masterPortOf(view)
        const startedAt = performance.now()
        if (how === 'manual') await askSentinels(view, 'SENTINEL', 'FAILOVER', masterName)
        else await nodes.find((node) => node.port === oldPort)?.server.kill()
        const newMasterPort = await pollUntil(
          `a new master in place of ${oldPort}`,
          () => newMaster(view, oldPort),
          NEW_MASTER_TIMEOUT_MS,
        )
        return { newMasterPort, tookMs: Math.round(performance.now() - startedAt) }
      },
      dispose,
    }
  } catch (error) {
    await dispose()
    throw error
  }
}

interface Monitor {
  masterName: string
  masterPort: number
  quorum: number
}

/** Sentinel rewrites its config file (known replicas, sentinels, epochs): it must be writable. */
async function startSentinel(processes: ChildProcesses, dir: string, monitor: Monitor) {
  const conf = join(dir, 'sentinel.conf')
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const name = monitor.masterName
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${monitor.masterPort} ${monitor.quorum}`,
        `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    )
    const child = processes.spawn(`sentinel ${port}`, 'redis-server', [conf, '--sentinel'], {
      cwd: dir,
    })
    const answering = await pollUntil(
      `sentinel on ${port} to answer`,
      async () => ((await redisAnswers(port)) ? true : child.exited() ? false : undefined),
      5000,
    )
    if (answering) return { child, port }
    // Another process may have taken the port between probing and binding it.
    if (attempt >= 3) throw new Error(`sentinel did not start:\n${child.output()}`)
  }
}

async function replicasOnline(masterPort: number, count: number): Promise<true | undefined> {
  const replication = await redisInfo(masterPort, 'replication')
  const online = [...replication.entries()].filter(
    ([field, value]) => /^slave\d+$/.test(field) && value.includes('state=online'),
  )
  return online.length === count ? true : undefined
}

interface SentinelView {
  masterName: string
  sentinelPorts: number[]
  /** Every redis-server of the setup, master and replicas. */
  serverPorts: number[]
}

/** A `SENTINEL MASTER/REPLICAS/SENTINELS` entry (`[field, value, field, value, …]`) as a map. */
function entryOf(reply: unknown): Map<string, string> {
  const flat = Array.isArray(reply) ? reply.map(String) : []
  const entry = new Map<string, string>()
  for (let i = 0; i + 1 < flat.length; i += 2) entry.set(flat[i] ?? '', flat[i + 1] ?? '')
  return entry
}

/** Healthy in a sentinel's view: no down, disconnected or in-failover flag. */
function healthy(entry: Map<string, string>, role: string): boolean {
  return entry.get('flags') === role
}

/**
 * Every live sentinel sees a healthy master, every other live server as its healthy replica
 * with its link up, and every other live sentinel.
 */
async function allKnown(view: SentinelView): Promise<true | undefined> {
  const liveSentinels = await answeringPorts(view.sentinelPorts)
  const liveServers = await answeringPorts(view.serverPorts)
  const masterPort = await masterPortOf(view)
  for (const port of liveSentinels) {
    const master = entryOf(await redisCommand(port, 'SENTINEL', 'MASTER', view.masterName))
    if (!healthy(master, 'master') || master.get('port') !== String(masterPort)) return undefined
    const replicas = await redisCommand(port, 'SENTINEL', 'REPLICAS', view.masterName)
    const goodReplicas = (Array.isArray(replicas) ? replicas : [])
      .map(entryOf)
      .filter((r) => healthy(r, 'slave') && r.get('master-link-status') === 'ok')
      .map((r) => Number(r.get('port')))
    const expected = liveServers.filter((server) => server !== masterPort)
    if (!expected.every((server) => goodReplicas.includes(server))) return undefined
    const others = await redisCommand(port, 'SENTINEL', 'SENTINELS', view.masterName)
    const goodOthers = (Array.isArray(others) ? others : []).map(entryOf)
    if (goodOthers.filter((s) => healthy(s, 'sentinel')).length < liveSentinels.length - 1) {
      return undefined
    }
  }
  return true
}

/** The master port every live sentinel names, if they agree and it answers ROLE as a master. */
async function newMaster(view: SentinelView, oldPort: number): Promise<number | undefined> {
  const named = new Set<number>()
  for (const port of await answeringPorts(view.sentinelPorts))
    named.add(await masterPortFrom(port, view))
  const [port] = named
  if (named.size !== 1 || port === undefined || port === oldPort) return undefined
  const role = await redisCommand(port, 'ROLE')
  return Array.isArray(role) && role[0] === 'master' ? port : undefined
}

async function masterPortOf(view: SentinelView): Promise<number> {
  let lastError: unknown
  for (const port of view.sentinelPorts) {
    try {
      return await masterPortFrom(port, view)
    } catch (error) {
      lastError = error
    }
  }
  throw new Error('no sentinel answers', { cause: lastError })
}

async function masterPortFrom(sentinelPort: number, view: SentinelView): Promise<number> {
  const address = await redisCommand(
    sentinelPort,
    'SENTINEL',
    'GET-MASTER-ADDR-BY-NAME',
    view.masterName,
  )
  if (!Array.isArray(address)) throw new Error(`sentinel ${sentinelPort} knows no master`)
  return Number(address[1])
}

/** Sends a command to the first live sentinel. */
async function askSentinels(view: SentinelView, command: string, ...args: string[]) {
  const [port] = await answeringPorts(view.sentinelPorts)
  if (port === undefined) throw new Error('no sentinel answers')
  return redisCommand(port, command, ...args)
}
