import { setTimeout as sleep } from 'node:timers/promises'
import type { Child, ChildProcesses } from './child-processes.js'
import { freePort, HOST, redisAnswers } from './net.js'

const STARTUP_TIMEOUT_MS = 5000

/** A redis-server of the benchmark's own, to SIGKILL and restart on the same port mid-run. */
export interface OwnRedisServer {
  readonly port: number
  readonly url: string
  /** SIGKILL: a crash, the connections drop at once. */
  kill(): Promise<void>
  /** Starts it again on the same port, empty (no persistence). */
  start(): Promise<void>
  stop(): Promise<void>
}

/** Spawns `redis-server --save "" --appendonly no` on a free port of 127.0.0.1. */
export async function startOwnRedisServer(
  children: ChildProcesses,
  workDir: string,
): Promise<OwnRedisServer> {
  const port = await freePort()
  let current: Child | undefined

  const start = async () => {
    if (current && !current.exited()) return
    const child = children.spawn(
      `redis-server :${port}`,
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        HOST,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        workDir,
      ],
      { cwd: workDir },
    )
    current = child
    const deadline = Date.now() + STARTUP_TIMEOUT_MS
    while (!(await redisAnswers(port))) {
      if (child.exited() || Date.now() > deadline) {
        await child.kill()
        throw new Error(`redis-server on port ${port} did not start:\n${child.output()}`)
      }
      await sleep(20)
    }
  }

  await start()
  return {
    port,
    url: `redis://${HOST}:${port}`,
    start,
    kill: async () => current?.kill(),
    stop: async () => current?.stop(),
  }
}
