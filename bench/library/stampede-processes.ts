/**
 * The bench's side of the library stampede: starts the processes (bench/library/
 * stampede-child.ts) through the run's ChildProcesses, so each is stopped by its own PID, also
 * on Ctrl-C; sends each stampede to all of them at once and collects their reports.
 */
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import type { Child } from '../child-processes.js'
import type { BenchContext } from '../context.js'
import type { LibraryName } from './adapters.js'
import { type StampedeCommand, type StampedeReport, stampedeChannels } from './stampede-protocol.js'

const CHILD_ENTRY = 'bench/library/stampede-child.ts'
const START_TIMEOUT_MS = 60_000
const REPORT_TIMEOUT_MS = 30_000

export interface StampedeOutcome {
  reports: StampedeReport[]
  /** From the command's PUBLISH to the last report. */
  elapsedMs: number
}

export interface StampedeProcesses {
  /** `calls` concurrent reads of the cold `key` in every process at once, through `library`. */
  stampede(library: LibraryName, key: string, calls: number): Promise<StampedeOutcome>
  stop(): Promise<void>
}

export async function startStampedeProcesses(
  context: BenchContext,
  options: { processes: number; keyPrefix: string; dbLatencyMs: number },
): Promise<StampedeProcesses> {
  const channels = stampedeChannels(options.keyPrefix)
  // BLPOP blocks its connection: one of its own, beside the run's admin client.
  const listener = context.redis.duplicate()
  listener.on('error', () => {})
  const children: Child[] = []
  const stop = async () => {
    await context.redis.publish(channels.control, JSON.stringify({ op: 'quit' })).catch(() => 0)
    for (const child of children) await child.stop()
    listener.disconnect()
  }
  try {
    for (let index = 1; index <= options.processes; index++) {
      const name = `library-stampede-${index}`
      const profile = context.cpuProfDir
        ? ['--cpu-prof', '--cpu-prof-dir', join(context.cpuProfDir, name)]
        : []
      children.push(
        context.children.spawn(
          name,
          process.execPath,
          [...profile, '--import', 'tsx', CHILD_ENTRY],
          {
            cwd: context.repoRoot,
            env: {
              PATH: process.env.PATH,
              LIB_REDIS_URL: context.redisUrl,
              LIB_KEY_PREFIX: options.keyPrefix,
              LIB_CHILD: String(index),
              LIB_DB_LATENCY_MS: String(options.dbLatencyMs),
            },
          },
        ),
      )
    }
    await popEach(listener, channels.ready, children, START_TIMEOUT_MS, 'ready')
  } catch (error) {
    await stop()
    throw error
  }

  let commands = 0
  return {
    async stampede(library, key, calls) {
      const command: StampedeCommand = { op: 'stampede', id: `${++commands}`, library, key, calls }
      const started = performance.now()
      const heard = await context.redis.publish(channels.control, JSON.stringify(command))
      if (heard !== children.length) {
        throw new Error(`${heard} of ${children.length} stampede processes are listening`)
      }
      const raw = await popEach(
        listener,
        channels.results(command.id),
        children,
        REPORT_TIMEOUT_MS,
        `the report of stampede ${command.id} (${library})`,
      )
      const elapsedMs = performance.now() - started
      const reports = raw.map((text) => JSON.parse(text) as StampedeReport)
      const failed = reports.find((report) => report.failure)
      if (failed) throw new Error(`stampede process ${failed.child}: ${failed.failure}`)
      return { reports, elapsedMs }
    },
    stop,
  }
}

/** One item per child from `list`, or an error naming what was awaited (and a child's output). */
async function popEach(
  listener: Redis,
  list: string,
  children: readonly Child[],
  timeoutMs: number,
  what: string,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  const items: string[] = []
  while (items.length < children.length) {
    const gone = children.find((child) => child.exited())
    if (gone) throw new Error(`${gone.name} exited while waiting for ${what}:\n${gone.output()}`)
    if (Date.now() >= deadline) {
      throw new Error(
        `${items.length} of ${children.length} processes sent ${what} in ${timeoutMs} ms:\n` +
          children.map((child) => `${child.name}: ${child.output()}`).join('\n'),
      )
    }
    const popped = await listener.blpop(list, 0.5)
    if (popped) items.push(popped[1])
  }
  return items
}
