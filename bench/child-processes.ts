import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

/** How long a child gets to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000
/** Kept from each child's output, to explain a failed start. */
const OUTPUT_TAIL_CHARS = 4000

export interface Child {
  readonly name: string
  readonly pid: number
  readonly process: ChildProcess
  /** The last few KB the child wrote to stdout and stderr. */
  output(): string
  exited(): boolean
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>
  /** SIGKILL (a crash); resolves once it has exited. */
  kill(): Promise<void>
}

/**
 * Every process the benchmark starts goes through here, so that one `stopAll()` in a `finally`
 * (also on Ctrl-C) ends exactly those, by the PID they were given: never a process by name.
 */
export class ChildProcesses {
  readonly #running = new Set<Child>()

  spawn(
    name: string,
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Child {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`)
    let tail = ''
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    child.on('error', (error) => keep(Buffer.from(`\n[spawn error] ${error.message}\n`)))

    const exited = () => child.exitCode !== null || child.signalCode !== null
    const signal = async (name: NodeJS.Signals, graceMs: number) => {
      if (exited()) return
      const gone = once(child, 'exit')
      child.kill(name)
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      try {
        await gone
      } finally {
        clearTimeout(timer)
      }
    }
    const handle: Child = {
      name,
      pid: child.pid,
      process: child,
      output: () => tail,
      exited,
      stop: () => signal('SIGTERM', STOP_GRACE_MS),
      kill: () => signal('SIGKILL', STOP_GRACE_MS),
    }
    this.#running.add(handle)
    child.once('exit', () => this.#running.delete(handle))
    return handle
  }

  get count(): number {
    return this.#running.size
  }

  /**
   * Stops every child still running, one after the other, each by its own PID; but those in
   * `except` (a Redis whose keys are still to be deleted, stopped after that).
   */
  async stopAll(except: ReadonlySet<Child> = new Set()): Promise<void> {
    for (const child of [...this.#running]) {
      if (!except.has(child)) await child.stop().catch(() => undefined)
    }
  }

  /** Last resort when the harness itself is exiting: SIGKILL, synchronously. */
  killAllNow(): void {
    for (const child of this.#running) {
      if (!child.exited()) child.process.kill('SIGKILL')
    }
  }
}
