import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { masterConnections, type RedisClient } from '@caching-strategies/cache'
import { inject } from 'vitest'
import { redisAnswers } from '../../bench/net.js'

/** The shared Redis the tests use; never stopped by them. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/support/global-setup.ts, unless PERSISTENT_REDIS_URL is. */
    persistentRedisUrl?: string
  }
}

/**
 * The suite's Redis with persistence (`appendonly yes`, `appendfsync everysec`), for what needs
 * one (write-behind). test/support/global-setup.ts starts it once per run; the environment
 * variable `PERSISTENT_REDIS_URL` points the tests at another instead. A function, not a
 * constant: `inject` works only inside a test worker, and this module is also loaded by the
 * global setup and by scripts run with plain tsx.
 */
export function persistentRedisUrl(): string {
  const url = process.env.PERSISTENT_REDIS_URL || inject('persistentRedisUrl')
  if (!url) throw new Error('no persistent Redis: is test/support/global-setup.ts registered?')
  return url
}

/** A key prefix no other test uses, e.g. `t:0b6c…:`. */
export function uniquePrefix(): string {
  return `t:${randomUUID()}:`
}

/**
 * Deletes every key under `prefix`, including the `{<prefix>…}:gen` and `:lease` companions
 * the cache keeps beside its entries (SCAN, so only for tests).
 */
export async function deleteByPrefix(redis: RedisClient, prefix: string): Promise<void> {
  const escaped = prefix.replace(/[*?[\]\\]/g, '\\$&')
  // A master killed by a failover test may still be listed until the client refreshes its slots.
  for (const master of masterConnections(redis).filter((node) => node.status === 'ready')) {
    for (const pattern of [`${escaped}*`, `\\{${escaped}*`]) {
      let cursor = '0'
      do {
        const [next, keys] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        // One UNLINK per key: on a Cluster, keys of one call must share a slot.
        await Promise.all(keys.map((key) => master.unlink(key)))
        cursor = next
      } while (cursor !== '0')
    }
  }
}

/** A redis-server of the test's own, to stop, kill and restart at will. */
export interface RedisServer {
  port: number
  url: string
  /** Its own data directory (a fresh temp directory) with `appendonly`, else undefined. */
  dir: string | undefined
  /** SIGTERM, then waits for the process to exit. Keeps the data directory, for `start()`. */
  stop(): Promise<void>
  /** SIGKILL (a crash), then waits for the process to exit. */
  kill(): Promise<void>
  /**
   * Starts it again on the same port after `stop()` or `kill()`, with the same options: a
   * persistent server reloads its append-only file (all of it with `appendfsync: 'always'`, up
   * to the last second's writes with 'everysec' after a kill), any other comes back empty.
   */
  start(): Promise<void>
  /** `stop()` (if running) then `start()`: a persistent server keeps its data, others lose it. */
  restart(): Promise<void>
  /** `stop()` (if running), deletes its data, then `start()`: a Redis that lost its disk. */
  restartEmpty(): Promise<void>
  /** Stops it for good: SIGTERM, then removes its data directory. Safe to call twice. */
  dispose(): Promise<void>
}

export interface RedisServerOptions {
  /**
   * Logs every write to an append-only file in a fresh temp directory of this server's own, so
   * that a restart reloads the data. Call `dispose()` when done, to remove that directory.
   * @default false (no persistence at all: no AOF, no RDB snapshots)
   */
  appendonly?: boolean
  /** How often the append-only file reaches the disk; only with `appendonly`. @default 'everysec' */
  appendfsync?: 'always' | 'everysec' | 'no'
  /** More `redis-server` arguments, after ours so that they win, e.g. `['--maxmemory', '1mb']`. */
  extraArgs?: string[]
}

const STARTUP_TIMEOUT_MS = 5000

/**
 * Spawns `redis-server` on a free port of 127.0.0.1 and waits until it answers PING. Without
 * options it has no persistence. Stop it in an `afterEach`/`onTestFinished` (`dispose()` for a
 * persistent one); if the test process exits first, it is killed then (and its directory
 * removed, best effort). Only ever signals the process it started.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = options.appendonly ? await mkdtemp(join(tmpdir(), 'redis-test-')) : undefined
  if (dir !== undefined) {
    ownedDirs.add(dir)
    ensureCleanUpAtExit()
  }
  const args = (port: number) => serverArgs(port, dir, options)
  let port = 0
  let child: ChildProcess | undefined
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port, args(port))
    } catch (error) {
      // Another process may have taken the port between probing and binding it.
      if (attempt >= 3) {
        if (dir !== undefined) await removeDir(dir)
        throw error
      }
    }
  }
  let current: ChildProcess = child
  const stop = () => signal(current, 'SIGTERM')
  async function start(): Promise<void> {
    if (!hasExited(current)) throw new Error(`redis-server on port ${port} is still running`)
    current = await launch(port, args(port))
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    kill: () => signal(current, 'SIGKILL'),
    start,
    async restart() {
      await stop()
      await start()
    },
    async restartEmpty() {
      await stop()
      if (dir !== undefined) {
        await rm(dir, { recursive: true, force: true })
        await mkdir(dir)
      }
      await start()
    },
    async dispose() {
      await stop()
      if (dir !== undefined) await removeDir(dir)
    },
  }
}

function serverArgs(port: number, dir: string | undefined, options: RedisServerOptions): string[] {
  // `--save ''` everywhere: a persistent server's data comes from its AOF alone.
  const persistence = dir
    ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'everysec', '--dir', dir]
    : ['--appendonly', 'no', '--dir', tmpdir()]
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
    ...persistence,
    ...(options.extraArgs ?? []),
  ]
}

const running = new Set<ChildProcess>()
const ownedDirs = new Set<string>()
let cleanUpHooked = false

function ensureCleanUpAtExit(): void {
  if (cleanUpHooked) return
  cleanUpHooked = true
  process.on('exit', cleanUpAtExit)
}

/** The last resort when the test process exits with servers still up: sync, best effort. */
function cleanUpAtExit(): void {
  for (const child of running) child.kill('SIGKILL')
  for (const dir of ownedDirs) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // A server killed a moment ago may still be writing into it; /tmp is cleaned eventually.
    }
  }
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  ownedDirs.delete(dir)
}

async function launch(port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, {
    cwd: tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child)
  let output = ''
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2000)
  }
  child.stdout?.on('data', keepTail)
  child.stderr?.on('data', keepTail)

  // A server still loading its AOF answers -LOADING, not +PONG: this waits for the load too.
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (!(await redisAnswers(port))) {
    if (hasExited(child) || Date.now() > deadline) {
      await signal(child, 'SIGKILL')
      throw new Error(`redis-server on port ${port} did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return child
}

function track(child: ChildProcess): void {
  ensureCleanUpAtExit()
  running.add(child)
  child.once('exit', () => running.delete(child))
}

async function signal(child: ChildProcess, name: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (hasExited(child)) return
  const exited = once(child, 'exit')
  child.kill(name)
  await exited
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned')
  return address.port
}
