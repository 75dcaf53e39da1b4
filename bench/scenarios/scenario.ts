import type { ScenarioName } from '../cli-options.js'
import type { BenchContext } from '../context.js'
import type { RoundSettings } from '../interleaved-rounds.js'
import type { ScenarioResult, TargetCheck } from '../results.js'
import { type RunningTarget, startTarget, type TargetSpec } from '../targets.js'

export interface Scenario {
  name: ScenarioName
  title: string
  run(context: BenchContext): Promise<ScenarioResult>
}

/** A scenario's timing in a full run and in a --quick one; --rounds overrides the rounds. */
export function roundSettings(
  context: BenchContext,
  full: RoundSettings,
  quick: Partial<RoundSettings> = {},
): RoundSettings {
  const chosen = context.options.quick
    ? { ...full, rounds: 1, durationMs: 1000, warmupMs: 300, ...quick }
    : full
  return { ...chosen, rounds: context.options.rounds ?? chosen.rounds }
}

/**
 * Starts the targets (in parallel), runs `body`, and stops them whatever happens: a scenario
 * leaves no process behind (the run's `finally` would stop strays anyway).
 */
export async function withTargets<R>(
  context: BenchContext,
  scenario: string,
  specs: readonly TargetSpec[],
  body: (targets: Map<string, RunningTarget>) => Promise<R>,
): Promise<R> {
  context.progress.log(`${scenario}: starting ${specs.map((spec) => spec.id).join(', ')}`)
  const started = await Promise.allSettled(
    specs.map((spec) => startTarget(context, scenario, spec)),
  )
  const running = new Map<string, RunningTarget>()
  for (const result of started) {
    if (result.status === 'fulfilled') running.set(result.value.spec.id, result.value)
  }
  try {
    const failed = started.find((result) => result.status === 'rejected')
    if (failed) throw failed.reason
    return await body(running)
  } finally {
    for (const target of running.values()) await target.stop()
  }
}

/** The target with this id, or an error naming it (a scenario asking for one it did not start). */
export function targetById(targets: Map<string, RunningTarget>, id: string): RunningTarget {
  const target = targets.get(id)
  if (!target) throw new Error(`no target "${id}" in this scenario`)
  return target
}

export function check(
  scenario: string,
  fields: Omit<TargetCheck, 'scenario' | 'met'> & { met: boolean },
): TargetCheck {
  return { scenario, ...fields, met: fields.met && Number.isFinite(fields.value) }
}

export const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a')
export const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : 'n/a')
export const percent = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? 'n/a' : `${(value * 100).toFixed(1)}%`
