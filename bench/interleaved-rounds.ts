import type { BenchContext } from './context.js'
import type { LoadPlan } from './load-driver.js'
import { measureRun } from './measure-run.js'
import type { RunMeasurement } from './results.js'
import type { RunningTarget } from './targets.js'

export interface LoadedTarget {
  target: RunningTarget
  request: LoadPlan['request']
  /** Actions during each measured run (e.g. kill Redis at 2 s); none during the warm-up. */
  schedule?: LoadPlan['schedule']
}

export interface RoundSettings {
  rounds: number
  durationMs: number
  /** One unmeasured run per target first (JIT, caches, connections); 0 for none. */
  warmupMs: number
  connections: number
  /** See LoadPlan.splitBy. */
  splitBy?: string
}

/**
 * Runs every target once per round, in turn, with the order reversed every other round
 * (A B C, C B A, A B C …): each target's runs are spread over the whole scenario, so a slow
 * minute on a shared machine touches all of them, and a linear drift cancels out.
 * Returns each target's runs in round order, the warm-up (if any) as round 0.
 */
export async function runInterleaved(
  context: BenchContext,
  scenario: string,
  targets: readonly LoadedTarget[],
  settings: RoundSettings,
): Promise<Map<string, RunMeasurement[]>> {
  const measured = new Map<string, RunMeasurement[]>(
    targets.map(({ target }) => [target.spec.id, []]),
  )
  // The warm-up run is kept as round 0: not in the medians, but in the JSON.
  const plan = (loaded: LoadedTarget, durationMs: number, measuredRun: boolean) => ({
    connections: settings.connections,
    durationMs,
    request: loaded.request,
    ...(settings.splitBy ? { splitBy: settings.splitBy } : {}),
    ...(measuredRun && loaded.schedule ? { schedule: loaded.schedule } : {}),
  })

  if (settings.warmupMs > 0) {
    for (const loaded of targets) {
      const label = `${scenario} · ${loaded.target.spec.label} · warm-up`
      const run = await measureRun(
        context,
        loaded.target,
        plan(loaded, settings.warmupMs, false),
        0,
        label,
      )
      measured.get(loaded.target.spec.id)?.push(run)
    }
  }
  for (let round = 1; round <= settings.rounds; round++) {
    const order = round % 2 === 1 ? targets : [...targets].reverse()
    for (const loaded of order) {
      const label = `${scenario} · ${loaded.target.spec.label} · round ${round}/${settings.rounds}`
      const run = await measureRun(
        context,
        loaded.target,
        plan(loaded, settings.durationMs, true),
        round,
        label,
      )
      measured.get(loaded.target.spec.id)?.push(run)
    }
  }
  return measured
}

/** The measured rounds only, without the warm-up (round 0). */
export function measuredRounds(runs: readonly RunMeasurement[] | undefined): RunMeasurement[] {
  return (runs ?? []).filter((run) => run.round > 0)
}
