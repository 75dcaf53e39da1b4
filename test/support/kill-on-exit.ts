import type { ChildProcess } from 'node:child_process'

const running = new Set<ChildProcess>()
const killRunning = () => {
  for (const child of running) child.kill('SIGKILL')
}

/**
 * The last resort for a child a test started: SIGKILLed if the test process exits while it
 * still runs (a test that failed before its clean-up). Only ever signals that child.
 */
export function killOnExit(child: ChildProcess): void {
  if (running.size === 0) process.on('exit', killRunning)
  running.add(child)
  child.once('exit', () => {
    running.delete(child)
    if (running.size === 0) process.off('exit', killRunning)
  })
}
