import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { redisAnswers } from '../../bench/net.js'
import { type RedisServer, startRedisServer } from './redis.js'

// What test/support/redis-cluster.ts and redis-sentinel.ts share: nodes with a directory of
// their own, one-off admin commands, and polling with a deadline.

/** A redis-server of a topology, with the temp directory it keeps its files in. */
export interface RedisNode {
  port: number
  url: string
  server: RedisServer
  /** Its own `--dir`: replication writes RDB files there, a cluster node its nodes.conf. */
  dir: string
}

/**
 * `startRedisServer` with a directory of its own, always: a replica loads its full sync through
 * an RDB file in `--dir`, and in the shared temp dir that `dump.rdb` would be loaded by any other
 * test's non-persistent server on restart. `dispose()` stops it and removes the directory.
 */
export async function startRedisNode(
  extraArgs: (dir: string) => string[],
  options: { appendonly?: boolean } = {},
): Promise<RedisNode & { dispose(): Promise<void> }> {
  const dir = await ownTempDir('redis-node-')
  const persistence = options.appendonly ? ['--appendonly', 'yes'] : []
  try {
    // A master waits `repl-diskless-sync-delay` (5 s) for more replicas before a full sync.
    const quickSync = ['--repl-diskless-sync-delay', '0']
    const server = await startRedisServer({
      extraArgs: ['--dir', dir, ...quickSync, ...persistence, ...extraArgs(dir)],
    })
    return {
      port: server.port,
      url: server.url,
      server,
      dir,
      async dispose() {
        await server.dispose()
        await removeTempDir(dir)
      },
    }
  } catch (error) {
    await removeTempDir(dir)
    throw error
  }
}

/** A reply as RESP2 gives it to `call`: strings, numbers, nulls and arrays of those. */
export type Reply = string | number | null | Reply[]

/**
 * One command on a connection of its own, closed afterwards; rejects quickly (no retries, no
 * offline queue) when nothing answers on `port`, so a poll can treat a dead node as an answer.
 */
export async function redisCommand(port: number, command: string, ...args: string[]) {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  })
  client.on('error', () => {}) // the rejected command says it already
  try {
    await client.connect()
    return (await client.call(command, ...args)) as Reply
  } finally {
    client.disconnect()
  }
}

/** `INFO <section>` as a map of its `field:value` lines. */
export async function redisInfo(port: number, section: string): Promise<Map<string, string>> {
  return fieldsOf(String(await redisCommand(port, 'INFO', section)))
}

/** The `field:value` lines of INFO or CLUSTER INFO, as a map. */
export function fieldsOf(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}

/** Those of `ports` a redis-server (or sentinel) answers PING on: the live nodes. */
export async function answeringPorts(ports: number[]): Promise<number[]> {
  const answers = await Promise.all(ports.map((port) => redisAnswers(port)))
  return ports.filter((_, index) => answers[index])
}

/** The PID of the redis-server (or sentinel) answering on `port`, as it reports it. */
export async function processIdOn(port: number): Promise<number> {
  return Number((await redisInfo(port, 'server')).get('process_id'))
}

/** Whether a process with this PID exists (signal 0 checks without signalling). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined, and returns
 * that. A probe that throws counts as "not yet"; the last error is in the timeout's message.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    await sleep(intervalMs)
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`)
}

const ownedDirs = new Set<string>()
let exitHooked = false

/** A fresh temp directory, removed at process exit if `removeTempDir` was not called first. */
export async function ownTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  if (!exitHooked) {
    exitHooked = true
    process.on('exit', removeOwnedDirsNow)
  }
  ownedDirs.add(dir)
  return dir
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  ownedDirs.delete(dir)
}

function removeOwnedDirsNow(): void {
  for (const dir of ownedDirs) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // A process killed a moment ago may still be writing into it; /tmp is cleaned eventually.
    }
  }
}
