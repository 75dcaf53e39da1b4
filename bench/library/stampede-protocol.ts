/**
 * What the bench and the stampede processes say to each other, over the shared Redis: a
 * channel of commands (one PUBLISH reaches every process at once), a list each process pushes
 * to once it is ready, and a list per command for the reports.
 */
import type { LibraryName } from './adapters.js'

export type StampedeCommand =
  | { op: 'stampede'; id: string; library: LibraryName; key: string; calls: number }
  | { op: 'quit' }

export interface StampedeReport {
  child: number
  /** Loader calls in this process. */
  loads: number
  calls: number
  /** Calls that failed or answered something else than the key's value. */
  errors: number
  /** From the command's arrival to the last call's answer. */
  elapsedMs: number
  /** Each call's, in ms. */
  latencies: number[]
  /** Set when the process could not run the stampede at all. */
  failure?: string
}

export function stampedeChannels(keyPrefix: string) {
  return {
    control: `${keyPrefix}control`,
    ready: `${keyPrefix}ready`,
    results: (id: string) => `${keyPrefix}results:${id}`,
  }
}
