import { Redis } from 'ioredis'
import { measuredRounds, runInterleaved } from '../interleaved-rounds.js'
import type { LoadPlan } from '../load-driver.js'
import { waitForOk } from '../net.js'
import { type OwnRedisServer, startOwnRedisServer } from '../own-redis-server.js'
import type { RunMeasurement, ScenarioResult } from '../results.js'
import { median } from '../stats.js'
import { summarizeTarget } from '../summarize-target.js'
import type { RunningTarget, TargetSpec } from '../targets.js'
import { FULL, NAIVE, NONE, prefillReference, REF_IOREDIS, storedEntry } from './common-targets.js'
import { check, roundSettings, type Scenario, targetById, withTargets } from './scenario.js'
import { zipfReads } from './zipf.js'

const NAME = 'redis-outage'
/** Redis is killed at this share of each measured run, and started again at the second. */
const KILL_AT = 0.25
const RESTART_AT = 0.625
const RECOVERY_TIMEOUT_MS = 15_000

/**
 * Zipf reads while the Redis under the targets is SIGKILLed, then restarted empty on the same
 * port. The targets use a redis-server of the scenario's own, never the shared one. The ioredis
 * reference shows what a cache with no failure policy does meanwhile.
 */
export const redisOutage: Scenario = {
  name: NAME,
  title: 'Redis killed and restarted mid-run',
  async run(context) {
    const settings = roundSettings(
      context,
      { rounds: 2, durationMs: 8000, warmupMs: 1500, connections: 50 },
      { durationMs: 2500 },
    )
    const redis = await startOwnRedisServer(context.children, context.workDir)
    const onOwnRedis = (spec: TargetSpec): TargetSpec => ({ ...spec, redisUrl: redis.url })
    const order = [REF_IOREDIS, FULL, NAIVE, NONE].map(onOwnRedis)
    try {
      return await withTargets(context, NAME, order, async (running) => {
        const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
        admin.on('error', () => {})
        try {
          await admin.connect()
          const reference = targetById(running, REF_IOREDIS.id)
          const entry = await storedEntry(admin, targetById(running, FULL.id), 1)
          const prefill = () => prefillReference(admin, reference, entry, context.products)
          await prefill()

          const outage = outageSchedule(redis, settings.durationMs, async () => {
            await prefill() // the restarted Redis is empty; the reference has no loader
            await everyoneReady([...running.values()])
          })
          const measured = await runInterleaved(
            context,
            NAME,
            order.map((spec) => ({
              target: targetById(running, spec.id),
              request: zipfReads(context, new Set()),
              schedule: outage,
            })),
            settings,
          )
          const targets = order.map((spec) => {
            const runs = measuredRounds(measured.get(spec.id))
            return summarizeTarget(
              spec,
              runs,
              {},
              {
                rpsDuringOutage: median(runs.map(rpsDuringOutage)),
                redisErrorsCounted: runs.reduce(
                  (total, run) => total + run.counters.redisErrors,
                  0,
                ),
              },
            )
          })
          const errorsOf = (id: string) => targets.find((target) => target.id === id)?.errors
          const naiveErrors = errorsOf(NAIVE.id) ?? Number.NaN
          const fullErrors = errorsOf(FULL.id) ?? Number.NaN

          const result: ScenarioResult = {
            name: NAME,
            title: 'Redis killed (SIGKILL) and restarted mid-run',
            description:
              `${settings.connections} connections read Zipf ids; ${KILL_AT * 100}% into each ` +
              `${settings.durationMs / 1000} s run the Redis under the targets is SIGKILLed, and ` +
              `${RESTART_AT * 100}% in it is started again, empty, on the same port. Errors are ` +
              'responses outside 2xx plus requests with no response.',
            settings: { ...settings, killAt: KILL_AT, restartAt: RESTART_AT },
            targets,
            checks: [
              check(NAME, {
                title: 'Redis outage: errors, full strategy',
                goal: '0 errors',
                value: fullErrors,
                measured: `${fullErrors} errors`,
                met: fullErrors === 0,
                detail: `full: ${describe(targets.find((t) => t.id === FULL.id)?.rounds ?? [])}`,
              }),
              check(NAME, {
                title: 'Redis outage: errors, naive strategy',
                goal: '0 errors',
                value: naiveErrors,
                measured: `${naiveErrors} errors`,
                met: naiveErrors === 0,
                detail: `naive: ${describe(targets.find((t) => t.id === NAIVE.id)?.rounds ?? [])}`,
              }),
            ],
            notes: [],
          }
          return result
        } finally {
          admin.disconnect()
        }
      })
    } finally {
      await redis.stop()
    }
  },
}

function outageSchedule(
  redis: OwnRedisServer,
  durationMs: number,
  afterRestart: () => Promise<void>,
): NonNullable<LoadPlan['schedule']> {
  return [
    { atMs: durationMs * KILL_AT, label: 'redis killed', action: () => redis.kill() },
    {
      atMs: durationMs * RESTART_AT,
      label: 'redis restarted',
      action: async () => {
        await redis.start()
        await afterRestart()
      },
    },
  ]
}

/** Waits (bounded) until every service says /ready again: Redis reconnected. */
async function everyoneReady(targets: readonly RunningTarget[]): Promise<void> {
  for (const target of targets) {
    if (target.spec.kind !== 'service') continue
    for (const url of target.urls) await waitForOk(`${url}/ready`, undefined, RECOVERY_TIMEOUT_MS)
  }
}

/** Responses per second between the kill and the restart, from the run's timeline. */
function rpsDuringOutage(run: RunMeasurement): number {
  const killed = run.events.find((event) => event.label === 'redis killed')?.atMs
  const restarted = run.events.find((event) => event.label === 'redis restarted')?.atMs
  if (killed === undefined || restarted === undefined || restarted <= killed) return Number.NaN
  let responses = 0
  let spanMs = 0
  for (const bin of run.timeline) {
    if (bin.startMs >= killed && bin.startMs + 250 <= restarted) {
      responses += bin.responses
      spanMs += 250
    }
  }
  return spanMs > 0 ? (responses / spanMs) * 1000 : Number.NaN
}

function describe(runs: readonly RunMeasurement[]): string {
  return runs
    .map(
      (run) =>
        `round ${run.round}: ${run.non2xx} non-2xx, ${run.socketErrors} socket errors, ` +
        `${run.timeouts} timeouts of ${run.requests}`,
    )
    .join('; ')
}
