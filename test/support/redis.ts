import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import type { Redis } from 'ioredis'
import { redisAnswers } from '../../bench/net.js'

/** The shared Redis the tests use; never stopped by them. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A key prefix no other test uses, e.g. `t:0b6c…:`. */
export function uniquePrefix(): string {
  return `t:${randomUUID()}:`
}

/**
 * Deletes every key under `prefix`, including the `{<prefix>…}:gen` and `:lease` companions
 * the cache keeps beside its entries (SCAN, so only for tests).
 */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  const escaped = prefix.replace(/[*?[\]\\]/g, '\\$&')
  for (const pattern of [`${escaped}*`, `\\{${escaped}*`]) {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  }
}

/** A redis-server of the test's own, to stop, kill and restart at will. */
export interface RedisServer {
  port: number
  url: string
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>
  /** SIGKILL (a crash), then waits for the process to exit. */
  kill(): Promise<void>
  /** Starts it again on the same port, empty (no persistence); stops it first if running. */
  restart(): Promise<void>
}

const STARTUP_TIMEOUT_MS = 5000

/**
 * Spawns `redis-server` on a free port of 127.0.0.1 without persistence and waits until it
 * answers PING. Stop it in an `afterEach`/`onTestFinished`; if the test process exits first,
 * it is killed then. Only ever signals the process it started.
 */
export async function startRedisServer(): Promise<RedisServer> {
  let port = 0
  let child: ChildProcess | undefined
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port)
    } catch (error) {
      // Another process may have taken the port between probing and binding it.
      if (attempt >= 3) throw error
    }
  }
  let current: ChildProcess = child
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => signal(current, 'SIGTERM'),
    kill: () => signal(current, 'SIGKILL'),
    async restart() {
      await signal(current, 'SIGTERM')
      current = await launch(port)
    },
  }
}

const running = new Set<ChildProcess>()

function killRunning(): void {
  for (const child of running) child.kill('SIGKILL')
}

async function launch(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn('redis-server', [...args, '--dir', tmpdir()], {
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
  if (running.size === 0) process.on('exit', killRunning)
  running.add(child)
  child.once('exit', () => {
    running.delete(child)
    if (running.size === 0) process.off('exit', killRunning)
  })
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
