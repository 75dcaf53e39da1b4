import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { freePort } from '../../bench/net.js'
import {
  answeringPorts,
  fieldsOf,
  pollUntil,
  type RedisNode,
  redisCommand,
  redisInfo,
  startRedisNode,
} from './redis-process.js'

const SLOTS = 16384
/** Short, for tests: a dead master is marked failing after about this long. */
const NODE_TIMEOUT_MS = 1000
const READY_TIMEOUT_MS = 20_000
const FAILOVER_TIMEOUT_MS = 20_000

export interface RedisClusterOptions {
  /** At least 3: `redis-cli --cluster create` refuses fewer. @default 3 */
  masters?: number
  /** @default 1 */
  replicasPerMaster?: number
  /** Every node logs to an append-only file in its own directory. @default false */
  appendonly?: boolean
}

export interface ClusterMaster {
  port: number
  /** Inclusive ranges, e.g. `[[0, 5460]]`. */
  slots: Array<[number, number]>
  /** The replicas that are not marked failing. */
  replicaPorts: number[]
}

export interface ClusterFailover {
  newMasterPort: number
  /** From the CLUSTER FAILOVER or the SIGKILL to every live node agreeing, in state ok. */
  tookMs: number
}

export interface RedisCluster {
  /** Every node as started; which are masters is `masters()`' answer (failovers change it). */
  nodes: RedisNode[]
  /** `127.0.0.1:<port>` of every node, for `new Cluster(seeds)`. */
  seeds: string[]
  /** The masters as a live node sees them now, by first slot. */
  masters(): Promise<ClusterMaster[]>
  /**
   * Moves the slots of `masterPort` to one of its replicas: 'manual' sends CLUSTER FAILOVER to
   * the replica (no write is lost), 'kill' SIGKILLs the master and waits for the promotion.
   * Resolves once every live node names the new master, which answers ROLE as a master, and
   * every live node is in state ok; then waits for the live replicas' links, so that another
   * failover can follow.
   */
  failover(masterPort: number, options: { how: 'manual' | 'kill' }): Promise<ClusterFailover>
  /** Stops every node (SIGTERM, by its own PID) and removes their directories. */
  dispose(): Promise<void>
}

/**
 * Starts `masters × (1 + replicasPerMaster)` cluster nodes on 127.0.0.1, joins them with
 * `redis-cli --cluster create` and waits until every node is in state ok with every slot served
 * and every replica in sync.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masterCount = options.masters ?? 3
  const replicasPerMaster = options.replicasPerMaster ?? 1
  const total = masterCount * (1 + replicasPerMaster)
  const starts = await Promise.allSettled(
    Array.from({ length: total }, () => startClusterNode(options.appendonly ?? false)),
  )
  const started = starts.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []))
  const disposeAll = async () => {
    await Promise.all(started.map((node) => node.dispose()))
  }
  try {
    const failed = starts.find((start) => start.status === 'rejected')
    if (failed) throw failed.reason
    const seeds = started.map((node) => `127.0.0.1:${node.port}`)
    await createCluster(seeds, replicasPerMaster)
    const ports = started.map((node) => node.port)
    await pollUntil('the cluster to be ready', () => settled(ports, total), READY_TIMEOUT_MS)
    const nodes = started.map(({ port, url, server, dir }) => ({ port, url, server, dir }))
    return {
      nodes,
      seeds,
      masters: async () => mastersIn(await clusterNodes(await someLivePort(ports))),
      failover: (masterPort, { how }) => failover(nodes, masterPort, how),
      dispose: disposeAll,
    }
  } catch (error) {
    await disposeAll()
    throw error
  }
}

/**
 * The bus port is set with `--cluster-port` (Redis 7), from its own free-port probe, rather than
 * left at port + 10000: that keeps it free of the data port's range and makes it checked free.
 */
async function startClusterNode(appendonly: boolean) {
  for (let attempt = 1; ; attempt++) {
    const busPort = await freePort()
    try {
      return await startRedisNode(
        (dir) => [
          ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
          ...['--cluster-node-timeout', String(NODE_TIMEOUT_MS), '--cluster-port', String(busPort)],
        ],
        { appendonly },
      )
    } catch (error) {
      // Another process may have taken the bus port between the probe and the bind.
      if (attempt >= 3) throw error
    }
  }
}

async function createCluster(seeds: string[], replicasPerMaster: number): Promise<void> {
  const args = ['--cluster', 'create', ...seeds, '--cluster-replicas', String(replicasPerMaster)]
  try {
    await promisify(execFile)('redis-cli', [...args, '--cluster-yes'], { timeout: 30_000 })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`redis-cli --cluster create failed:\n${stdout}${stderr}`, { cause: error })
  }
}

/**
 * Every live node in state ok, serving every slot, knowing `total` nodes, with the same view of
 * who replicates whom (gossip spreads a failover's outcome node by node); replicas in sync.
 */
async function settled(ports: number[], total: number): Promise<true | undefined> {
  const views = new Set<string>()
  for (const port of await answeringPorts(ports)) {
    views.add(viewOf(await clusterNodes(port)))
    if (views.size > 1) return undefined
    const info = fieldsOf(String(await redisCommand(port, 'CLUSTER', 'INFO')))
    if (info.get('cluster_state') !== 'ok') return undefined
    if (info.get('cluster_slots_ok') !== String(SLOTS)) return undefined
    if (info.get('cluster_known_nodes') !== String(total)) return undefined
    const replication = await redisInfo(port, 'replication')
    if (replication.get('role') === 'slave' && replication.get('master_link_status') !== 'up') {
      return undefined
    }
  }
  return true
}

async function failover(
  nodes: RedisNode[],
  masterPort: number,
  how: 'manual' | 'kill',
): Promise<ClusterFailover> {
  const ports = nodes.map((node) => node.port)
  const master = mastersIn(await clusterNodes(masterPort)).find((m) => m.port === masterPort)
  const replicaPort = master?.replicaPorts[0]
  const firstSlot = master?.slots[0]?.[0]
  if (replicaPort === undefined || firstSlot === undefined) {
    throw new Error(`${masterPort} is not a master with slots and a replica`)
  }
  const startedAt = performance.now()
  if (how === 'manual') await redisCommand(replicaPort, 'CLUSTER', 'FAILOVER')
  else await nodes.find((node) => node.port === masterPort)?.server.kill()

  const newMasterPort = await pollUntil(
    `a new master for slot ${firstSlot} of ${masterPort}`,
    async () => {
      const owner = await agreedOwner(await answeringPorts(ports), firstSlot)
      if (owner === undefined || owner === masterPort) return undefined
      const role = await redisCommand(owner, 'ROLE')
      return Array.isArray(role) && role[0] === 'master' ? owner : undefined
    },
    FAILOVER_TIMEOUT_MS,
  )
  const tookMs = Math.round(performance.now() - startedAt)
  await pollUntil('the cluster to settle', () => settled(ports, nodes.length), READY_TIMEOUT_MS)
  return { newMasterPort, tookMs }
}

/** The master every one of `ports` says owns `slot`, all in state ok; undefined until then. */
async function agreedOwner(ports: number[], slot: number): Promise<number | undefined> {
  let agreed: number | undefined
  for (const port of ports) {
    const info = fieldsOf(String(await redisCommand(port, 'CLUSTER', 'INFO')))
    if (info.get('cluster_state') !== 'ok') return undefined
    const owner = mastersIn(await clusterNodes(port)).find((master) =>
      master.slots.some(([first, last]) => first <= slot && slot <= last),
    )
    if (owner === undefined || (agreed !== undefined && owner.port !== agreed)) return undefined
    agreed = owner.port
  }
  return agreed
}

interface NodeLine {
  id: string
  port: number
  flags: string[]
  /** The master's id for a replica, `-` for a master. */
  masterId: string
  slots: Array<[number, number]>
}

/** CLUSTER NODES, one line a node: `<id> <ip:port@bus> <flags> <master> … <link> <slots…>`. */
async function clusterNodes(port: number): Promise<NodeLine[]> {
  const text = String(await redisCommand(port, 'CLUSTER', 'NODES'))
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', ...rest] = line.trim().split(' ')
      // Skips ping-sent, pong-recv, config-epoch and link-state; `[…]` are slots in migration.
      const slots = rest
        .slice(4)
        .filter((slot) => !slot.startsWith('['))
        .map((range): [number, number] => {
          const [first = '', last = first] = range.split('-')
          return [Number(first), Number(last)]
        })
      const port = Number(address.split('@')[0]?.split(':').at(-1))
      return { id, port, flags: flags.split(','), masterId, slots }
    })
}

/** Roles, masters, slots and failing nodes, one node a line, sorted: equal views compare equal. */
function viewOf(lines: NodeLine[]): string {
  const portOf = new Map(lines.map((line) => [line.id, line.port]))
  return lines
    .map((line) => {
      const role = line.flags.includes('master')
        ? 'master'
        : `replica of ${portOf.get(line.masterId)}`
      const failing = line.flags.includes('fail') || line.flags.includes('fail?')
      return `${line.port} ${role} ${JSON.stringify(line.slots)}${failing ? ' failing' : ''}`
    })
    .sort()
    .join('\n')
}

function mastersIn(lines: NodeLine[]): ClusterMaster[] {
  const failing = (line: NodeLine) => line.flags.includes('fail') || line.flags.includes('fail?')
  return lines
    .filter((line) => line.flags.includes('master') && !failing(line) && line.slots.length > 0)
    .map((master) => ({
      port: master.port,
      slots: master.slots,
      replicaPorts: lines
        .filter((line) => line.masterId === master.id && !failing(line))
        .map((line) => line.port),
    }))
    .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0))
}

async function someLivePort(ports: number[]): Promise<number> {
  const [port] = await answeringPorts(ports)
  if (port === undefined) throw new Error('no node of the cluster answers')
  return port
}
