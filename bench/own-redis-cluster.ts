import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import type { Child, ChildProcesses } from './child-processes.js'
import { freePort, HOST, redisAnswers } from './net.js'

const SLOTS = 16_384
const NODE_START_TIMEOUT_MS = 5000
const CREATE_TIMEOUT_MS = 30_000
const SETTLE_TIMEOUT_MS = 20_000

/** A Redis Cluster of the benchmark's own: `masters × (1 + replicasPerMaster)` redis-servers. */
export interface OwnRedisCluster {
  masters: number
  replicasPerMaster: number
  /** `127.0.0.1:<port>` of every node: REDIS_CLUSTER_NODES, and `new Cluster(seeds)`. */
  seeds: string[]
  /** Its nodes' processes, so that the run can stop everything else before deleting its keys. */
  children: Child[]
  /** From the first spawn to every node agreeing on a cluster in state ok, replicas in sync. */
  formedInMs: number
  /** Stops every node (SIGTERM, by its own PID). */
  stop(): Promise<void>
}

/**
 * Starts the nodes on free ports of 127.0.0.1, each with its own directory under `workDir`, no
 * persistence, and a cluster bus port of its own (`--cluster-port`, Redis 7: checked free, rather
 * than data port + 10000); joins them with `redis-cli --cluster create`; waits until every node
 * is in state ok, serves all 16,384 slots, knows every other node, and every replica is in sync.
 * The node timeout is left at Redis' 15 s: the benchmark loads both cores, and a short one could
 * see a starved master as failed and fail it over mid-run.
 */
export async function startOwnRedisCluster(
  children: ChildProcesses,
  workDir: string,
  { masters = 3, replicasPerMaster = 1 } = {},
): Promise<OwnRedisCluster> {
  const startedAt = performance.now()
  const total = masters * (1 + replicasPerMaster)
  const nodes: Child[] = []
  const stop = async () => {
    for (const node of nodes) await node.stop()
  }
  try {
    const ports: number[] = []
    for (let index = 0; index < total; index++) {
      const { child, port } = await startNode(children, join(workDir, `cluster-node-${index + 1}`))
      nodes.push(child)
      ports.push(port)
    }
    const seeds = ports.map((port) => `${HOST}:${port}`)
    await runToEnd(children, 'redis-cli --cluster create', 'redis-cli', [
      '--cluster',
      'create',
      ...seeds,
      '--cluster-replicas',
      String(replicasPerMaster),
    ])
    await settled(ports, total)
    return {
      masters,
      replicasPerMaster,
      seeds,
      children: nodes,
      formedInMs: Math.round(performance.now() - startedAt),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** One cluster-enabled redis-server; a port taken between the probe and the bind is retried twice. */
async function startNode(
  children: ChildProcesses,
  dir: string,
): Promise<{ child: Child; port: number }> {
  await mkdir(dir, { recursive: true })
  for (let attempt = 1; ; attempt++) {
    const [port, busPort] = [await freePort(), await freePort()]
    const child = children.spawn(
      `redis-server :${port} (cluster)`,
      'redis-server',
      [
        ...['--port', String(port), '--bind', HOST, '--dir', dir],
        ...['--save', '', '--appendonly', 'no'],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
        ...['--cluster-port', String(busPort)],
        // A master otherwise waits 5 s for more replicas before its first full sync.
        ...['--repl-diskless-sync-delay', '0'],
      ],
      { cwd: dir },
    )
    const deadline = Date.now() + NODE_START_TIMEOUT_MS
    while (!(await redisAnswers(port)) && !child.exited() && Date.now() < deadline) await sleep(20)
    if (!child.exited() && (await redisAnswers(port))) return { child, port }
    await child.kill()
    if (attempt >= 3) {
      throw new Error(`cluster node on port ${port} did not start:\n${child.output()}`)
    }
  }
}

/** `redis-cli --cluster …` through `children` (so Ctrl-C ends it too); waits for exit 0, bounded. */
async function runToEnd(
  children: ChildProcesses,
  name: string,
  command: string,
  args: readonly string[],
): Promise<void> {
  const child = children.spawn(name, command, [...args, '--cluster-yes'])
  const timer = setTimeout(() => void child.kill(), CREATE_TIMEOUT_MS)
  try {
    const [code] = await once(child.process, 'exit')
    if (code !== 0) throw new Error(`${name} failed (exit ${code}):\n${child.output()}`)
  } finally {
    clearTimeout(timer)
  }
}

/** Polls every node until the cluster is whole and the replicas in sync, within the deadline. */
async function settled(ports: readonly number[], total: number): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    try {
      const waitingFor = await firstUnsettled(ports, total)
      if (waitingFor === undefined) return
      last = waitingFor
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    await sleep(100)
  }
  throw new Error(`the Redis Cluster did not settle within ${SETTLE_TIMEOUT_MS} ms: ${last}`)
}

async function firstUnsettled(ports: readonly number[], total: number) {
  for (const port of ports) {
    const cluster = fields(String(await nodeCommand(port, 'CLUSTER', 'INFO')))
    if (cluster.get('cluster_state') !== 'ok') return `${port}: cluster_state not ok`
    if (cluster.get('cluster_slots_ok') !== String(SLOTS)) return `${port}: slots not all ok`
    if (cluster.get('cluster_known_nodes') !== String(total)) return `${port}: nodes missing`
    const replication = fields(String(await nodeCommand(port, 'INFO', 'replication')))
    if (replication.get('role') === 'slave' && replication.get('master_link_status') !== 'up') {
      return `${port}: replica not in sync`
    }
  }
  return undefined
}

/** One command on a connection of its own, no retries: a node that does not answer rejects. */
async function nodeCommand(port: number, command: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  })
  client.on('error', () => {}) // the rejected command says it
  try {
    await client.connect()
    return await client.call(command, ...args)
  } finally {
    client.disconnect()
  }
}

/** The `field:value` lines of INFO or CLUSTER INFO. */
function fields(text: string): Map<string, string> {
  const map = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return map
}
